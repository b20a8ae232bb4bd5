/**
 * Records the histories that the replay test runs: `npm run histories:record`.
 * Run it only when a change to leadCase is meant to be compatible AND the new behaviour should be
 * captured; a change that breaks replay of the committed fixtures needs `patched()` instead.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { contactAttemptUpdate, humanReviewUpdate, legalHoldUpdate, outcomeUpdate, reviewUpdate, selectionUpdate, withdrawConsentUpdate } from '../../src/workflows/messages';
import { ensureWorkflowBundle } from '../support/workflow-bundle';
import { caseInput, DAY, FakeActivities, HOUR, startCase, timeSkippingEnv, untilShanghaiMorning, withConsent, withWorker } from './harness';

type Scenario = (env: TestWorkflowEnvironment, fakes: FakeActivities, tq: string) => Promise<WorkflowHandleWithFirstExecutionRunId>;

const scenarios: Record<string, { setup?: (f: FakeActivities) => void; run: Scenario }> = {
  'consent-timeout-erased': {
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput());
      await h.result();
      return h;
    },
  },
  'tier-a-converted-then-retention': {
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      await h.executeUpdate(contactAttemptUpdate, { args: [{ brokerId: 'b-1', channel: 'phone', purpose: 'service', outcome: 'reached' }] });
      await h.executeUpdate(selectionUpdate, { args: [{ brokerId: 'b-1', productId: 'p-1' }] });
      await h.executeUpdate(outcomeUpdate, { args: [{ brokerId: 'b-1', outcome: 'submitted' }] });
      await h.executeUpdate(outcomeUpdate, { args: [{ brokerId: 'b-1', outcome: 'approved' }] });
      await env.sleep(DAY);
      return h;
    },
  },
  'tier-b-escalated-reassigned-lost-erased': {
    setup: (f) => (f.prescreen = { tier: 'B', rulesFired: [{ code: 'region_mismatch', effect: 'review', detail: 'ip' }], requiredDocuments: [] }),
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(25 * HOUR);
      await h.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', reviewerId: 'r1' }] });
      await env.sleep(9 * HOUR); // past 200 % of the 4 h first-contact deadline: reminded, escalated, reassigned
      await h.executeUpdate(outcomeUpdate, { args: [{ brokerId: 'b-2', outcome: 'lost' }] });
      await env.client.workflow.getHandle(h.workflowId).result();
      return h;
    },
  },
  'tier-c-human-review-approved': {
    setup: (f) => (f.prescreen = { tier: 'C', rulesFired: [{ code: 'blacklisted', effect: 'decline', detail: 'blacklist' }], requiredDocuments: [] }),
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      const latest = env.client.workflow.getHandle(h.workflowId);
      await latest.executeUpdate(humanReviewUpdate, { args: [{ requestedBy: 'compliance:c1' }] });
      await latest.executeUpdate(reviewUpdate, { args: [{ decision: 'approve', reviewerId: 'r1' }] });
      return h;
    },
  },
  'withdrawal-during-follow-up': {
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent(['credit_assessment', 'marketing']) }));
      await env.sleep(1_000);
      await h.executeUpdate(withdrawConsentUpdate, { args: [{ purposes: ['marketing'], source: 'customer' }] });
      await h.executeUpdate(withdrawConsentUpdate, { args: [{ purposes: ['credit_assessment'], source: 'customer' }] });
      await h.result();
      return h;
    },
  },
  'legal-hold-during-retention': {
    run: async (env, _f, tq) => {
      const h = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await env.sleep(1_000);
      await h.executeUpdate(outcomeUpdate, { args: [{ brokerId: 'b-1', outcome: 'customer_declined' }] });
      const latest = env.client.workflow.getHandle(h.workflowId);
      await env.sleep(10 * DAY);
      await latest.executeUpdate(legalHoldUpdate, { args: [{ hold: true, by: 'compliance:c1' }] });
      await env.sleep(100 * DAY);
      await latest.executeUpdate(legalHoldUpdate, { args: [{ hold: false, by: 'compliance:c1' }] });
      await latest.result();
      return h;
    },
  },
};

/** Every run of a workflow ID, first to last, following continue-as-new. */
async function allRuns(env: TestWorkflowEnvironment, workflowId: string, firstRunId: string) {
  const runs: { runId: string; json: string }[] = [];
  for (let runId: string | undefined = firstRunId; runId; ) {
    const history: temporal.api.history.v1.IHistory = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
    runs.push({ runId, json: historyToJSON(history as temporal.api.history.v1.History) });
    const last: temporal.api.history.v1.IHistoryEvent | undefined = history.events?.[history.events.length - 1];
    runId = last?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return runs;
}

async function main() {
  await ensureWorkflowBundle();
  const dir = join(__dirname, 'histories');
  for (const [name, scenario] of Object.entries(scenarios)) {
    const env = await timeSkippingEnv();
    try {
      await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
      const fakes = new FakeActivities();
      scenario.setup?.(fakes);
      const runs = await withWorker(env, fakes, async (tq) => {
        const started = await scenario.run(env, fakes, tq);
        return allRuns(env, started.workflowId, started.firstExecutionRunId);
      });
      runs.forEach((run, i) => writeFileSync(join(dir, `${name}.run${i + 1}.json`), run.json));
      console.log(`${name}: ${runs.length} run(s)`);
    } finally {
      await env.teardown();
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
