/**
 * Records the histories that the replay test runs: `npm run histories:record`, or
 * `npm run histories:record -- <scenario> …` for some scenarios only (the others keep the histories
 * an older version of the code wrote, which is what the replay test is for).
 * Nothing runs in production yet: a workflow change re-records the fixtures (no tag), and a tagged
 * older fixture that no longer replays is deleted, not kept alive with a new `patched()`.
 * `-- --tag <name> …` writes `<fixture>@<name>.runN.json` beside the older fixtures, keeping both:
 * after a `patched()` change (from launch on), the histories from before the patch and with it must both replay.
 */
import { parsePolicy } from '../../src/platform/config/policy';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import {
  closeComplaintUpdate,
  complaintLegalHoldUpdate,
  complaintOpenedUpdate,
  escalateToGroupUpdate,
  firstResponseUpdate,
} from '../../src/modules/complaint/messages';
import {
  consentDeadlineFrom,
  contactAttemptUpdate,
  grantConsentUpdate,
  humanReviewUpdate,
  legalHoldUpdate,
  outcomeUpdate,
  reviewUpdate,
  selectionUpdate,
  stateQuery,
  withdrawConsentUpdate,
} from '../../src/modules/lead/messages';
import { ensureWorkflowBundle } from '../support/workflow-bundle';
import { ComplaintFakes, complaintInput, startComplaint, untilInFollowUp } from './complaint-fakes';
import {
  caseInput,
  DAY,
  sent,
  HOUR,
  MINUTE,
  realTimeUntil,
  startCase,
  timeSkippingEnv,
  untilShanghaiMorning,
  untilWriteWaitsOnBackoff,
  readyToSubmit,
  withConsent,
  withWorker,
  type FakeActivities,
} from './harness';

type Handle = WorkflowHandleWithFirstExecutionRunId;
/** A scenario returns its workflow, or several by the name of their fixtures. */
type Scenario = (
  env: TestWorkflowEnvironment,
  fakes: FakeActivities,
  tq: string,
) => Promise<Handle | Record<string, Handle>>;

const scenarios: Record<string, { setup?: (f: FakeActivities) => void; run: Scenario }> = {
  'channel-review-ten-channels-two-batches': {
    setup: (f) => {
      f.channels = Array.from({ length: 10 }, (_, i) => `ch-${i}`);
      f.suspend = ['ch-4'];
    },
    run: async (env, _f, tq) => {
      const h = await env.client.workflow.start('channelReview', {
        workflowId: 'channel-review-replay',
        taskQueue: tq,
        args: [sent({})],
      });
      await h.result();
      return h;
    },
  },
  'consent-timeout-erased': {
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput());
      await h.result();
      return h;
    },
  },
  'projected-at-intake-consent-granted-then-withdrawn': {
    run: async (env, _f, tq) => {
      const input = caseInput();
      const h = await startCase(env, tq, {
        ...input,
        projectedAtIntake: { consentDeadline: consentDeadlineFrom(await env.currentTimeMs(), input.policy) },
      });
      await env.sleep(HOUR);
      await h.executeUpdate(grantConsentUpdate, { args: [sent({ ...withConsent(), source: 'channel:test' })] });
      await env.sleep(1_000);
      await h.executeUpdate(withdrawConsentUpdate, {
        args: [sent({ purposes: ['credit_assessment'], source: 'customer' })],
      });
      await h.result();
      return h;
    },
  },
  'consent-grant-retried-across-the-deadline': {
    run: async (env, f, tq) => {
      const input = caseInput();
      const h = await startCase(env, tq, {
        ...input,
        projectedAtIntake: { consentDeadline: consentDeadlineFrom(await env.currentTimeMs(), input.policy) },
      });
      await env.sleep(72 * HOUR - 2 * MINUTE);
      f.recordConsentEventFails = new Error('connect ECONNREFUSED');
      const grant = h.executeUpdate(grantConsentUpdate, { args: [sent({ ...withConsent(), source: 'channel:test' })] });
      // Once the write's retries wait on a timer (past the local retries), let the deadline pass.
      await untilWriteWaitsOnBackoff(h);
      await env.sleep(4 * MINUTE);
      f.recordConsentEventFails = null;
      await env.sleep(60_000);
      await grant;
      await env.sleep(1_000);
      return h;
    },
  },
  'human-review-retried-across-retention-end': {
    setup: (f) =>
      (f.prescreen = {
        tier: 'C',
        rulesFired: [{ code: 'stressed_dti_above_tier_b_max', effect: 'decline', detail: 'stressedDtiPct=70 > 55' }],
        requiredDocuments: [],
      }),
    run: async (env, f, tq) => {
      const first = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      const h = env.client.workflow.getHandle(first.workflowId);
      let dueAt: string | null = null;
      while (!dueAt) {
        dueAt = (await h.query(stateQuery).catch(() => null))?.retentionDueAt ?? null;
        if (!dueAt) await new Promise((r) => setTimeout(r, 250));
      }
      await env.sleep(Date.parse(dueAt) - (await env.currentTimeMs()) - 2 * MINUTE);
      f.recordDecisionFails = new Error('connect ECONNREFUSED');
      // Before the patch this Update never completes: the case is erased under it.
      const asked = h
        .executeUpdate(humanReviewUpdate, { args: [sent({ requestedBy: 'channel:test' })] })
        .catch(() => undefined);
      await untilWriteWaitsOnBackoff(h);
      await env.sleep(4 * MINUTE);
      f.recordDecisionFails = null;
      await env.sleep(60_000);
      await Promise.race([asked, new Promise((r) => setTimeout(r, 5_000))]);
      await env.sleep(1_000);
      return first;
    },
  },
  // A risk officer's decision given before the review deadline, its write retried across it.
  'review-written-across-its-deadline': {
    setup: (f) =>
      (f.prescreen = {
        tier: 'B',
        rulesFired: [{ code: 'region_mismatch', effect: 'review', detail: 'ip' }],
        requiredDocuments: [],
      }),
    run: async (env, f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      await env.sleep(24 * HOUR - 2 * MINUTE);
      f.recordDecisionFails = new Error('connect ECONNREFUSED');
      const review = h.executeUpdate(reviewUpdate, { args: [sent({ decision: 'decline', reviewerId: 'r1' })] });
      await untilWriteWaitsOnBackoff(h);
      await env.sleep(4 * MINUTE);
      f.recordDecisionFails = null;
      await env.sleep(60_000);
      await review;
      await env.sleep(1_000);
      return h;
    },
  },
  'tier-a-converted-then-retention': {
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      await h.executeUpdate(contactAttemptUpdate, {
        args: [sent({ brokerId: 'b-1', channel: 'phone', purpose: 'service', outcome: 'reached' })],
      });
      await h.executeUpdate(selectionUpdate, { args: [sent({ brokerId: 'b-1', productId: 'p-1' })] });
      await readyToSubmit(h, 'p-1');
      await h.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'submitted' })] });
      await h.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'approved' })] });
      await env.sleep(DAY);
      return h;
    },
  },
  'tier-b-escalated-reassigned-lost-erased': {
    setup: (f) =>
      (f.prescreen = {
        tier: 'B',
        rulesFired: [{ code: 'region_mismatch', effect: 'review', detail: 'ip' }],
        requiredDocuments: [],
      }),
    run: async (env, _f, tq) => {
      // On the clock, so that 9 hours are past 200 % of the 4 h first contact whatever the hour.
      const policy = parsePolicy({ businessHours: { deadlines: [] } });
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent(), policy }));
      await env.sleep(25 * HOUR);
      await h.executeUpdate(reviewUpdate, { args: [sent({ decision: 'approve', reviewerId: 'r1' })] });
      await env.sleep(9 * HOUR); // past 200 % of the 4 h first-contact deadline: reminded, escalated, reassigned
      await h.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-2', outcome: 'lost' })] });
      await env.client.workflow.getHandle(h.workflowId).result();
      return h;
    },
  },
  'tier-c-human-review-approved': {
    setup: (f) =>
      (f.prescreen = {
        tier: 'C',
        rulesFired: [{ code: 'blacklisted', effect: 'decline', detail: 'blacklist' }],
        requiredDocuments: [],
      }),
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      const latest = env.client.workflow.getHandle(h.workflowId);
      await latest.executeUpdate(humanReviewUpdate, { args: [sent({ requestedBy: 'compliance:c1' })] });
      await latest.executeUpdate(reviewUpdate, { args: [sent({ decision: 'approve', reviewerId: 'r1' })] });
      return h;
    },
  },
  'withdrawal-during-follow-up': {
    run: async (env, _f, tq) => {
      const h = await startCase(
        env,
        tq,
        caseInput({ consentAtIntake: withConsent(['credit_assessment', 'marketing']) }),
      );
      await env.sleep(1_000);
      await h.executeUpdate(withdrawConsentUpdate, { args: [sent({ purposes: ['marketing'], source: 'customer' })] });
      await h.executeUpdate(withdrawConsentUpdate, {
        args: [sent({ purposes: ['credit_assessment'], source: 'customer' })],
      });
      await h.result();
      return h;
    },
  },
  'legal-hold-during-retention': {
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      await h.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'customer_declined' })] });
      const latest = env.client.workflow.getHandle(h.workflowId);
      await env.sleep(10 * DAY);
      await latest.executeUpdate(legalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c1' })] });
      await env.sleep(100 * DAY);
      await latest.executeUpdate(legalHoldUpdate, { args: [sent({ hold: false, by: 'compliance:c1' })] });
      await latest.result();
      return h;
    },
  },
  // A harassment complaint about a case in follow-up: the case gets the doNotContact signal (then
  // closes); the complaint is answered late, goes to a group, is reopened by a dissatisfied
  // customer, then closed.
  'complaint-harassment': {
    run: async (env, _f, tq) => {
      const lead = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await untilInFollowUp(env, lead);
      const input = await complaintInput(env, {
        caseId: lead.workflowId.replace(/^lead-/, ''),
        category: 'harassment',
        priority: 'high',
        doNotContact: true,
      });
      const complaint = await startComplaint(env, tq, input);
      await complaint.executeUpdate(complaintOpenedUpdate);
      // The case goes on without contact; it closes here so its history stays short.
      await lead.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'lost' })] });
      await env.sleep(3 * HOUR);
      await complaint.executeUpdate(firstResponseUpdate, { args: [sent({ by: 'broker:b-1', via: 'phone' })] });
      await complaint.executeUpdate(escalateToGroupUpdate, {
        args: [sent({ by: 'compliance:c1', teams: ['legal', 'operations'] })],
      });
      await env.sleep(8 * DAY);
      await complaint.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'not_upheld', satisfaction: 'dissatisfied' })],
      });
      await complaint.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
      });
      await complaint.result();
      return {
        'complaint-harassment-late-escalated-reopened-closed': complaint,
        'lead-do-not-contact-from-complaint': lead,
      };
    },
  },
  // A first response given before its due time, its write retried across it; then the close.
  'complaint-first-response-written-across-its-deadline': {
    run: async (env, f, tq) => {
      const complaint = await startComplaint(env, tq, await complaintInput(env, { priority: 'high' }));
      await complaint.executeUpdate(complaintOpenedUpdate);
      await env.sleep(2 * HOUR - 2 * MINUTE);
      const cf = f as ComplaintFakes;
      cf.recordComplaintEventFails = new Error('connect ECONNREFUSED');
      const response = complaint.executeUpdate(firstResponseUpdate, {
        args: [sent({ by: 'broker:b-1', via: 'phone' })],
      });
      await realTimeUntil('the first response reached its write', () => cf.events('first_response').length > 0);
      await env.sleep(4 * MINUTE);
      cf.recordComplaintEventFails = null;
      await env.sleep(60_000);
      await response;
      await complaint.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
      });
      await complaint.result();
      return complaint;
    },
  },
  'complaint-no-case-retention-erased': {
    run: async (env, _f, tq) => {
      const complaint = await startComplaint(
        env,
        tq,
        await complaintInput(env, { caseId: null, brokerId: null, keyScope: 'complaint', priority: 'low' }),
      );
      await complaint.executeUpdate(firstResponseUpdate, { args: [sent({ by: 'compliance:c1', via: 'letter' })] });
      await env.sleep(16 * DAY);
      await complaint.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'partially_upheld', satisfaction: 'neutral' })],
      });
      await complaint.result();
      return complaint;
    },
  },
  'complaint-legal-hold-during-retention-erased': {
    run: async (env, _f, tq) => {
      const complaint = await startComplaint(
        env,
        tq,
        await complaintInput(env, { caseId: null, brokerId: null, keyScope: 'complaint', priority: 'normal' }),
      );
      await complaint.executeUpdate(firstResponseUpdate, { args: [sent({ by: 'compliance:c1', via: 'phone' })] });
      await complaint.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
      });
      await env.sleep(30 * DAY);
      await complaint.executeUpdate(complaintLegalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c2' })] });
      await env.sleep(120 * DAY);
      await complaint.executeUpdate(complaintLegalHoldUpdate, { args: [sent({ hold: false, by: 'compliance:c2' })] });
      await complaint.result();
      return complaint;
    },
  },
};

/** Every run of a workflow ID, first to last, following continue-as-new. */
async function allRuns(env: TestWorkflowEnvironment, workflowId: string, firstRunId: string) {
  const runs: { runId: string; json: string }[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const history: temporal.api.history.v1.IHistory = await env.client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    runs.push({ runId, json: historyToJSON(history as temporal.api.history.v1.History) });
    const last: temporal.api.history.v1.IHistoryEvent | undefined = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

async function main() {
  await ensureWorkflowBundle();
  const dir = join(__dirname, 'histories');
  const args = process.argv.slice(2);
  const tagAt = args.indexOf('--tag');
  const tag = tagAt >= 0 ? args.splice(tagAt, 2)[1] : undefined;
  if (tagAt >= 0 && !/^[a-z0-9-]+$/.test(tag ?? ''))
    throw new Error('--tag takes a name of lower-case letters, digits and dashes');
  const only = args;
  const unknown = only.filter((name) => !(name in scenarios));
  if (unknown.length) throw new Error(`no such scenario: ${unknown.join(', ')}`);
  for (const [name, scenario] of Object.entries(scenarios)) {
    if (only.length && !only.includes(name)) continue;
    const env = await timeSkippingEnv();
    try {
      await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
      // The complaint activities as well as the lead's: a complaint scenario runs both workflows.
      const fakes = new ComplaintFakes();
      scenario.setup?.(fakes);
      const recorded = await withWorker(env, fakes, async (tq) => {
        const started = await scenario.run(env, fakes, tq);
        const named = 'workflowId' in started ? { [name]: started as Handle } : started;
        const out: Record<string, { runId: string; json: string }[]> = {};
        for (const [fixture, h] of Object.entries(named))
          out[fixture] = await allRuns(env, h.workflowId, h.firstExecutionRunId);
        return out;
      });
      for (const [fixture, runs] of Object.entries(recorded)) {
        runs.forEach((run, i) =>
          writeFileSync(join(dir, `${fixture}${tag ? `@${tag}` : ''}.run${i + 1}.json`), run.json),
        );
        console.log(`${fixture}${tag ? `@${tag}` : ''}: ${runs.length} run(s)`);
      }
    } finally {
      await env.teardown();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
