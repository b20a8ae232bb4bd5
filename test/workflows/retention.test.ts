import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { humanReviewUpdate, legalHoldUpdate, outcomeUpdate, stateQuery } from '../../src/modules/lead/messages';
import { LeadStageKey } from '../../src/platform/temporal/search-attributes';
import {
  caseInput,
  DAY,
  sent,
  FakeActivities,
  HOUR,
  MINUTE,
  realTimeUntil,
  refusal,
  settled,
  startCase,
  timeSkippingEnv,
  untilShanghaiMorning,
  untilWriteWaitsOnBackoff,
  withConsent,
  withWorker,
} from './harness';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await timeSkippingEnv();
  await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
});
afterEach(async () => env?.teardown());

describe('retention and erasure', () => {
  test('a case lost without converting is erased 90 days after it closed, on a fresh history', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const { state } = await handle.executeUpdate(outcomeUpdate, {
        args: [sent({ brokerId: 'b-1', outcome: 'lost' })],
      });
      expect(state).toMatchObject({ stage: 'closed', outcome: 'lost' });
      const closedAt = Date.parse(state.closedAt!);
      expect(Date.parse(state.retentionDueAt!) - closedAt).toBe(90 * DAY);

      await settled(env, handle);
      let retentionRun = await env.client.workflow.getHandle(handle.workflowId).describe();
      for (let i = 0; i < 600 && retentionRun.runId === handle.firstExecutionRunId; i++) {
        await new Promise((r) => setTimeout(r, 50));
        retentionRun = await env.client.workflow.getHandle(handle.workflowId).describe();
      }
      expect(retentionRun.runId).not.toBe(handle.firstExecutionRunId); // continued as new for the long wait
      expect(retentionRun.typedSearchAttributes.get(LeadStageKey)).toBe('closed');

      await env.sleep(89 * DAY);
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
      const result = await env.client.workflow.getHandle(handle.workflowId).result();
      expect(result).toMatchObject({ stage: 'erased' });
      const [erase] = fakes.named('eraseLeadData');
      expect(erase.reason).toBe('retention_expired');
      expect(Date.parse(erase.at) - closedAt).toBeGreaterThanOrEqual(90 * DAY);
      expect(Date.parse(erase.at) - closedAt).toBeLessThan(91 * DAY);
    });
  });

  test('a legal hold pauses the retention clock, and releasing it resumes with the time that was left', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const { state } = await handle.executeUpdate(outcomeUpdate, {
        args: [sent({ brokerId: 'b-1', outcome: 'customer_declined' })],
      });
      const closedAt = Date.parse(state.closedAt!);
      const latest = env.client.workflow.getHandle(handle.workflowId);

      await env.sleep(30 * DAY);
      const { state: held } = await latest.executeUpdate(legalHoldUpdate, {
        args: [sent({ hold: true, by: 'compliance:c1' })],
      });
      expect(held.legalHold).not.toBeNull();
      await env.sleep(200 * DAY);
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
      expect((await latest.query(stateQuery)).stage).toBe('closed');

      const { state: released } = await latest.executeUpdate(legalHoldUpdate, {
        args: [sent({ hold: false, by: 'compliance:c1' })],
      });
      const releasedAt = await env.currentTimeMs();
      expect(Date.parse(released.retentionDueAt!) - releasedAt).toBeGreaterThan(59 * DAY);
      expect(Date.parse(released.retentionDueAt!) - releasedAt).toBeLessThanOrEqual(60 * DAY);
      expect(await latest.result()).toMatchObject({ stage: 'erased' });
      const [erase] = fakes.named('eraseLeadData');
      expect(Date.parse(erase.at) - closedAt).toBeGreaterThanOrEqual(290 * DAY);
    });
  });

  test('a hold placed on an open case keeps its data even when consent is withdrawn, until released', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await handle.executeUpdate(legalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c1' })] });
      const { state } = (await handle.executeUpdate('withdrawConsent', {
        args: [sent({ purposes: ['credit_assessment'], source: 'customer' })],
      })) as { state: { stage: string } };
      expect(state.stage).toBe('withdrawn');
      await env.sleep(10 * DAY);
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
      await handle.executeUpdate(legalHoldUpdate, { args: [sent({ hold: false, by: 'compliance:c1' })] });
      expect(await handle.result()).toMatchObject({ stage: 'erased', closeReason: 'consent_withdrawn' });
    });
  });

  test('a legal hold asked for once the erasure has begun is refused, not acknowledged and then ignored', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput());
      fakes.eraseFails = new Error('connect ECONNREFUSED'); // the database is down when the consent deadline comes
      await env.sleep(72 * HOUR + MINUTE);
      await realTimeUntil('the erasure started', () => fakes.named('eraseLeadData').length > 0);

      expect(
        await refusal(handle.executeUpdate(legalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c1' })] })),
      ).toBe('case_closed');

      fakes.eraseFails = null;
      await env.sleep(2 * MINUTE);
      const result = await handle.result();
      expect(result).toMatchObject({ stage: 'erased', closeReason: 'consent_timeout' });
      expect((await handle.query(stateQuery)).legalHold).toBeNull();
    });
  });

  test('a human review asked for before the retention ends reopens the case, even when its write is still being retried as retention ends', async () => {
    const fakes = new FakeActivities();
    fakes.prescreen = {
      tier: 'C',
      rulesFired: [{ code: 'stressed_dti_above_tier_b_max', effect: 'decline', detail: 'stressedDtiPct=70 > 55' }],
      requiredDocuments: [],
    };
    await withWorker(env, fakes, async (tq) => {
      const first = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      const declined = await settled(env, first);
      expect(declined).toMatchObject({ stage: 'declined', closeReason: 'prescreen_declined' });
      const handle = env.client.workflow.getHandle(first.workflowId);
      await env.sleep(Date.parse(declined.retentionDueAt!) - (await env.currentTimeMs()) - 2 * MINUTE);

      // The customer asks two minutes before the end, while the database is down.
      fakes.recordDecisionFails = new Error('connect ECONNREFUSED');
      const asked = handle.executeUpdate(humanReviewUpdate, { args: [sent({ requestedBy: 'channel:x' })] });
      await untilWriteWaitsOnBackoff(handle);
      await env.sleep(4 * MINUTE);
      expect(fakes.named('eraseLeadData')).toHaveLength(0);

      fakes.recordDecisionFails = null;
      await env.sleep(MINUTE);
      const { state } = await asked;
      expect(state.stage).toBe('manual_review');
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
      expect(fakes.notifications('human_review_requested')).toHaveLength(1);
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! } },
          await handle.fetchHistory(),
        ),
      ).resolves.toBeUndefined();
    });
  });
});
