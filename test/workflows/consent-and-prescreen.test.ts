import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import {
  consentDeadlineFrom,
  grantConsentUpdate,
  humanReviewUpdate,
  intakeUnconfirmedSignal,
  legalHoldUpdate,
  reviewUpdate,
  stateQuery,
  withdrawConsentUpdate,
} from '../../src/modules/lead/messages';
import { LeadStageKey, RiskTierKey, ConsentStateKey } from '../../src/platform/temporal/search-attributes';
import { parsePolicy } from '../../src/platform/config/policy';
import { addWorkingTime } from '../../src/platform/domain/business-hours';
import {
  caseInput,
  everyDayWorked,
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
  untilWriteWaitsOnBackoff,
  withConsent,
  withWorker,
} from './harness';

// One time-skipping server per test: its clock is global, so tests must not share it.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await timeSkippingEnv();
});
afterEach(async () => env?.teardown());

describe('consent', () => {
  test('a case that never gets consent is erased after the 72 h wait, and nothing is scored', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const started = await env.currentTimeMs();
      const handle = await startCase(env, tq, caseInput());
      const result = await handle.result();
      expect(result).toMatchObject({ stage: 'erased', closeReason: 'consent_timeout' });
      const [erase] = fakes.named('eraseLeadData');
      expect(erase.reason).toBe('consent_timeout');
      expect(Date.parse(erase.at) - started).toBeGreaterThanOrEqual(72 * HOUR);
      expect(Date.parse(erase.at) - started).toBeLessThan(73 * HOUR);
      expect(fakes.named('prescreenLead')).toHaveLength(0);
    });
  });

  test('nothing is scored before credit_assessment consent; granting it starts the pre-screen', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput());
      await env.sleep(HOUR);
      expect(fakes.named('prescreenLead')).toHaveLength(0);
      expect((await handle.query(stateQuery)).stage).toBe('awaiting_consent');
      const sa = (await handle.describe()).typedSearchAttributes;
      expect(sa.get(LeadStageKey)).toBe('awaiting_consent');
      expect(sa.get(ConsentStateKey)).toBe('none');

      const lenderOnly = await handle.executeUpdate(grantConsentUpdate, {
        args: [sent({ ...withConsent(['lender_sharing']), source: 'channel:x' })],
      });
      expect(lenderOnly.state.stage).toBe('awaiting_consent');
      expect(fakes.named('prescreenLead')).toHaveLength(0);

      await handle.executeUpdate(grantConsentUpdate, {
        args: [sent({ ...withConsent(['credit_assessment']), source: 'channel:x' })],
      });
      await settled(env, handle);
      const state = await handle.query(stateQuery);
      expect(fakes.named('prescreenLead')).toHaveLength(1);
      expect(state.stage).toBe('follow_up');
      expect(state.consentState).toBe('partial');
      const ledger = fakes.named('recordConsentEvent');
      expect(ledger.map((e) => [e.action, e.purposes])).toEqual([
        ['grant', ['lender_sharing']],
        ['grant', ['credit_assessment']],
      ]);
      expect(new Set(ledger.map((e) => e.eventId)).size).toBe(2);
    });
  });

  test('a case its intake projected writes nothing in its first task, and its grant Update finishes before the pre-screen starts', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const input = caseInput();
      const consentDeadline = consentDeadlineFrom(await env.currentTimeMs(), input.policy);
      const handle = await startCase(env, tq, { ...input, projectedAtIntake: { consentDeadline } });
      await env.sleep(HOUR);
      expect(fakes.named('projectCase')).toHaveLength(0);
      const waiting = await handle.query(stateQuery);
      expect(waiting).toMatchObject({ stage: 'awaiting_consent', seq: 1, deadline: consentDeadline });

      await handle.executeUpdate(grantConsentUpdate, { args: [sent({ ...withConsent(), source: 'channel:x' })] });
      await settled(env, handle);
      expect((await handle.query(stateQuery)).stage).toBe('follow_up');
      // The next projection follows the intake's (seq 1), with the consent granted.
      const [first] = fakes.named('projectCase');
      expect(first.seq).toBeGreaterThan(1);
      expect(first.projection).toMatchObject({ stage: 'awaiting_consent', consentState: 'partial' });
      // The Update's own writes all came before the lifecycle's first step after it.
      const order = fakes.calls.map((c) => c.name);
      expect(order.indexOf('prescreenLead')).toBeGreaterThan(order.indexOf('projectCase'));
      expect(order.slice(0, 2)).toEqual(['recordConsentEvent', 'projectCase']);
      // And a worker that lost the case from its cache replays it: the order is the same every time.
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! } },
          await handle.fetchHistory(),
        ),
      ).resolves.toBeUndefined();
    });
  });

  test('a case its intake projected and could not confirm ends with case_never_committed when its row never comes', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const input = caseInput();
      const handle = await startCase(env, tq, {
        ...input,
        projectedAtIntake: { consentDeadline: consentDeadlineFrom(await env.currentTimeMs(), input.policy) },
      });
      await env.sleep(HOUR);
      expect(fakes.named('projectCase')).toHaveLength(0);
      fakes.projectCaseFails = ApplicationFailure.nonRetryable(
        'case c was never committed by its intake',
        'case_never_committed',
      );
      await handle.signal(intakeUnconfirmedSignal, sent({}));
      const failure = await handle.result().then(
        () => null,
        (err: WorkflowFailedError) => err,
      );
      expect((failure?.cause as ApplicationFailure | undefined)?.type).toBe('case_never_committed');
      expect(fakes.named('projectCase')).toHaveLength(1);
      expect(fakes.named('prescreenLead')).toHaveLength(0);
    });
  });

  test('a grant accepted before the consent deadline wins over it, even when its write is still being retried as the deadline passes', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const input = caseInput();
      const handle = await startCase(env, tq, {
        ...input,
        projectedAtIntake: { consentDeadline: consentDeadlineFrom(await env.currentTimeMs(), input.policy) },
      });
      await env.sleep(72 * HOUR - 2 * MINUTE);
      // The customer's grant is accepted two minutes before the deadline, while the database is down.
      fakes.recordConsentEventFails = new Error('connect ECONNREFUSED');
      const grant = handle.executeUpdate(grantConsentUpdate, {
        args: [sent({ ...withConsent(), source: 'channel:x' })],
      });
      // Past the local retries (about 13 s), the write's next attempt waits on a timer; the deadline passes meanwhile.
      await untilWriteWaitsOnBackoff(handle);
      await env.sleep(4 * MINUTE);
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
      // The database is back: the grant is written and the case goes on to its pre-screen.
      fakes.recordConsentEventFails = null;
      await env.sleep(MINUTE); // the write's next attempt, at most a minute of backoff away
      const { state: granted } = await grant;
      expect(granted.consent.credit_assessment.granted).toBe(true);
      const state = await settled(env, handle);
      expect(state.stage).toBe('follow_up');
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
      expect(fakes.named('prescreenLead')).toHaveLength(1);
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! } },
          await handle.fetchHistory(),
        ),
      ).resolves.toBeUndefined();
    });
  });

  test('once the consent deadline has passed, a late grant is refused, even while a legal hold keeps the data', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput());
      await env.sleep(HOUR);
      await handle.executeUpdate(legalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c1' })] });
      await env.sleep(72 * HOUR);
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
      expect(
        await refusal(
          handle.executeUpdate(grantConsentUpdate, { args: [sent({ ...withConsent(), source: 'channel:x' })] }),
        ),
      ).toBe('case_closed');
      expect(fakes.named('recordConsentEvent')).toHaveLength(0);
      await handle.executeUpdate(legalHoldUpdate, { args: [sent({ hold: false, by: 'compliance:c1' })] });
      expect(await handle.result()).toMatchObject({ stage: 'erased', closeReason: 'consent_timeout' });
    });
  });

  test('withdrawing marketing stops only marketing: the case goes on', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(
        env,
        tq,
        caseInput({ consentAtIntake: withConsent(['credit_assessment', 'lender_sharing', 'marketing']) }),
      );
      await settled(env, handle);
      const { state } = await handle.executeUpdate(withdrawConsentUpdate, {
        args: [sent({ purposes: ['marketing'], source: 'customer' })],
      });
      expect(state.consent.marketing.granted).toBe(false);
      expect(state.stage).toBe('follow_up');
      expect(fakes.named('eraseLeadData')).toHaveLength(0);
    });
  });

  test('withdrawing a purpose that was never granted is refused and changes nothing', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent(['credit_assessment']) }));
      await settled(env, handle);
      expect(
        await refusal(
          handle.executeUpdate(withdrawConsentUpdate, {
            args: [sent({ purposes: ['marketing'], source: 'customer' })],
          }),
        ),
      ).toBe('consent_not_granted');
      expect(fakes.named('recordConsentEvent').filter((e) => e.action === 'withdraw')).toHaveLength(0);
    });
  });
});

describe('pre-screen', () => {
  test('tier A goes straight to matching and a broker', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const state = await handle.query(stateQuery);
      expect(state).toMatchObject({ stage: 'follow_up', tier: 'A', brokerId: 'b-1' });
      // 30 minutes of working time (the default policy: 09:00-18:00 Shanghai).
      expect(state.deadline).toMatchObject({ kind: 'first_contact', workingMs: 30 * 60_000 });
      const { businessHours } = everyDayWorked();
      expect(state.deadline!.dueAt).toBe(
        new Date(addWorkingTime(Date.parse(state.deadline!.startedAt), 30 * 60_000, businessHours)).toISOString(),
      );
      const sa = (await handle.describe()).typedSearchAttributes;
      expect(sa.get(RiskTierKey)).toBe('A');
      expect(sa.get(LeadStageKey)).toBe('follow_up');
    });
  });

  test('tier C is declined with its explanation kept, and a customer can ask a person to look again', async () => {
    const fakes = new FakeActivities();
    fakes.prescreen = {
      tier: 'C',
      rulesFired: [{ code: 'stressed_dti_above_tier_b_max', effect: 'decline', detail: 'stressedDtiPct=70 > 55' }],
      requiredDocuments: [],
    };
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      let state = await handle.query(stateQuery);
      expect(state).toMatchObject({
        stage: 'declined',
        closeReason: 'prescreen_declined',
        rulesFired: ['stressed_dti_above_tier_b_max'],
      });
      expect(fakes.named('matchLead')).toHaveLength(0);

      const { state: reviewing } = await handle.executeUpdate(humanReviewUpdate, {
        args: [sent({ requestedBy: 'channel:x' })],
      });
      expect(reviewing.stage).toBe('manual_review');
      await settled(env, handle);
      expect(fakes.notifications('human_review_requested')).toHaveLength(1);
      const { state: after } = await handle.executeUpdate(reviewUpdate, {
        args: [sent({ decision: 'approve', reviewerId: 'r1' })],
      });
      expect(after.stage).toBe('follow_up');
      state = await handle.query(stateQuery);
      expect(state.matches.map((m) => m.productId)).toEqual(['p-1', 'p-2']);
    });
  });

  test('a tier-B case waits for review, escalates after 24 h on the clock, and keeps waiting for the decision', async () => {
    const fakes = new FakeActivities();
    fakes.prescreen = {
      tier: 'B',
      rulesFired: [{ code: 'region_mismatch', effect: 'review', detail: 'ip' }],
      requiredDocuments: ['id_card_copy', 'income_proof'],
    };
    // The review on the clock (by default it counts working time).
    const policy = parsePolicy({ businessHours: { deadlines: ['first_contact'] } });
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent(), policy }));
      await settled(env, handle);
      expect((await handle.query(stateQuery)).stage).toBe('manual_review');
      expect(fakes.notifications('review_requested')).toHaveLength(1);

      await env.sleep(23 * HOUR);
      expect(fakes.notifications('review_overdue')).toHaveLength(0);
      await env.sleep(2 * HOUR);
      expect(fakes.notifications('review_overdue')).toHaveLength(1);
      const state = await handle.query(stateQuery);
      expect(state).toMatchObject({ stage: 'manual_review', reviewEscalated: true });

      await env.sleep(3 * DAY);
      expect(fakes.notifications('review_overdue')).toHaveLength(1); // escalated once, then waits
      const { state: declined } = await handle.executeUpdate(reviewUpdate, {
        args: [sent({ decision: 'decline', reviewerId: 'r1' })],
      });
      expect(declined).toMatchObject({ stage: 'declined', closeReason: 'review_declined' });
      expect(fakes.named('recordDecision')).toEqual([
        expect.objectContaining({ kind: 'manual_review', outcome: 'decline', decidedBy: 'r1' }),
      ]);
    });
  });

  test('while one review is being recorded, a second reviewer is refused: the first accepted decides', async () => {
    const fakes = new FakeActivities();
    fakes.prescreen = {
      tier: 'B',
      rulesFired: [{ code: 'region_mismatch', effect: 'review', detail: 'ip' }],
      requiredDocuments: [],
    };
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      fakes.recordDecisionFails = new Error('connect ECONNREFUSED');
      const first = handle.executeUpdate(reviewUpdate, { args: [sent({ decision: 'decline', reviewerId: 'r1' })] });
      await realTimeUntil('the first review reached its write', () => fakes.named('recordDecision').length > 0);
      expect(
        await refusal(handle.executeUpdate(reviewUpdate, { args: [sent({ decision: 'approve', reviewerId: 'r2' })] })),
      ).toBe('not_in_review');
      fakes.recordDecisionFails = null;
      await env.sleep(MINUTE); // past the write's back-off
      const { state } = await first;
      expect(state.stage).toBe('declined');
      expect(new Set(fakes.named('recordDecision').map((d) => d.decidedBy))).toEqual(new Set(['r1']));
      expect(fakes.named('matchLead')).toHaveLength(0);
    });
  });

  test('a review given before the 24 h deadline whose write is retried past it decides, and the managers get no overdue notice', async () => {
    const fakes = new FakeActivities();
    fakes.prescreen = {
      tier: 'B',
      rulesFired: [{ code: 'region_mismatch', effect: 'review', detail: 'ip' }],
      requiredDocuments: [],
    };
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await env.sleep(24 * HOUR - 2 * MINUTE);
      fakes.recordDecisionFails = new Error('connect ECONNREFUSED');
      const reviewing = handle.executeUpdate(reviewUpdate, { args: [sent({ decision: 'decline', reviewerId: 'r1' })] });
      await untilWriteWaitsOnBackoff(handle);
      await env.sleep(4 * MINUTE); // the review deadline fires while the decision is still being written
      fakes.recordDecisionFails = null;
      await env.sleep(MINUTE);
      const { state } = await reviewing;
      expect(state).toMatchObject({ stage: 'declined', closeReason: 'review_declined', reviewEscalated: false });
      expect(fakes.notifications('review_overdue')).toHaveLength(0);
    });
  });

  test('a review of a tier-A case, or a second review, is refused by the validator', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      expect(
        await refusal(handle.executeUpdate(reviewUpdate, { args: [sent({ decision: 'approve', reviewerId: 'r1' })] })),
      ).toBe('not_in_review');
      expect(await refusal(handle.executeUpdate(humanReviewUpdate, { args: [sent({ requestedBy: 'c' })] }))).toBe(
        'no_automated_decline',
      );
      expect(fakes.named('recordDecision')).toHaveLength(0);
    });
  });
});

describe('what managers see', () => {
  test("the case's current details say its stage and what it waits for, and change with it", async () => {
    const fakes = new FakeActivities();
    fakes.prescreen = { tier: 'B', rulesFired: [], requiredDocuments: [] };
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput());
      await settled(env, handle);
      const details = async () =>
        (await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;
      expect(await details()).toContain('**阶段：** 待同意');
      expect(await details()).toMatch(/\*\*等待：\*\* 客户授权征信评估（期限 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 北京时间）/);
      expect(await details()).toContain('**时限：** 正常');

      await handle.executeUpdate(grantConsentUpdate, { args: [sent({ ...withConsent(), source: 'channel:x' })] });
      await settled(env, handle);
      expect(await details()).toContain('**阶段：** 人工审核');
      expect(await details()).toContain('**等待：** 风控人员审核（期限 ');
      expect(await details()).toContain('**风险等级：** B');
    });
  });
});
