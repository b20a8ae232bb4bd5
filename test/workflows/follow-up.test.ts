import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { brokerOffboarding } from '../../src/modules/broker/workflow';
import {
  assignmentUpdate,
  brokerLeavingSignal,
  contactAttemptUpdate,
  costAcknowledgementUpdate,
  doNotContactUpdate,
  grantConsentUpdate,
  outcomeUpdate,
  selectionUpdate,
  stateQuery,
  withdrawConsentUpdate,
} from '../../src/modules/lead/messages';
import { parsePolicy } from '../../src/platform/config/policy';
import { BrokerIdKey, SlaDueAtKey } from '../../src/platform/temporal/search-attributes';
import {
  caseInput,
  DAY,
  sent,
  FakeActivities,
  HOUR,
  MINUTE,
  readyToSubmit,
  realTimeUntil,
  refusal,
  settled,
  startCase,
  timeSkippingEnv,
  untilShanghaiMorning,
  withConsent,
  withWorker,
} from './harness';

let env: TestWorkflowEnvironment;

type Handle = Awaited<ReturnType<typeof startCase>>;
/** The customer's acknowledgement of a fake match's disclosure (`fake-<apr>`), recorded by a broker. */
const acknowledge = (handle: Handle, productId: string, disclosureHash?: string, brokerId = 'b-1') =>
  handle.executeUpdate(costAcknowledgementUpdate, {
    args: [
      sent({
        productId,
        disclosureHash: disclosureHash ?? (productId === 'p-1' ? 'fake-12' : 'fake-18'),
        by: `broker:${brokerId}`,
      }),
    ],
  });
const grantLenders = (handle: Handle, lenderIds: string[]) =>
  handle.executeUpdate(grantConsentUpdate, {
    args: [sent({ noticeVersion: '2026-12', purposes: ['lender_sharing'], lenderIds })],
  });
beforeEach(async () => {
  env = await timeSkippingEnv();
  // Contact rules read the clock: start every test at 10:00 in Shanghai, outside quiet hours.
  await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
});
afterEach(async () => env?.teardown());

const call = { channel: 'phone', purpose: 'service', outcome: 'no_answer' } as const;

describe('first-contact deadline', () => {
  test('the broker is reminded at 50 %, the manager told at 100 %, and the case reassigned at 200 %', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      expect((await handle.query(stateQuery)).brokerId).toBe('b-1');

      await env.sleep(14 * MINUTE);
      expect(fakes.notifications('first_contact_reminder')).toHaveLength(0);
      await env.sleep(2 * MINUTE);
      expect(fakes.notifications('first_contact_reminder')).toEqual([
        expect.objectContaining({ recipientRole: 'broker', recipientId: 'b-1' }),
      ]);
      expect(fakes.notifications('sla_breached')).toHaveLength(0);

      await env.sleep(15 * MINUTE);
      expect(fakes.notifications('sla_breached')).toEqual([expect.objectContaining({ recipientRole: 'manager' })]);
      expect((await handle.query(stateQuery)).brokerId).toBe('b-1');

      await env.sleep(30 * MINUTE);
      const state = await handle.query(stateQuery);
      expect(state.brokerId).toBe('b-2');
      expect(state.previousBrokerIds).toEqual(['b-1']);
      expect(state.deadline).toMatchObject({ kind: 'first_contact', reminded: false, escalated: false });
      expect(fakes.notifications('case_reassigned')).toEqual([
        expect.objectContaining({ payload: expect.objectContaining({ newBrokerId: 'b-2' }) }),
      ]);
      expect((await handle.describe()).typedSearchAttributes.get(BrokerIdKey)).toBe('b-2');
    });
  });

  test('while the automatic reassignment picks the next broker, the old broker and a manager are refused, and the hand-over goes through', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await env.sleep(31 * MINUTE); // past the escalation at 100 %
      fakes.assignBrokerFails = new Error('connect ECONNREFUSED'); // the broker directory cannot be read
      await env.sleep(30 * MINUTE); // past 200 %: the reassignment begins and keeps retrying
      expect(fakes.named('assignBroker').length).toBeGreaterThan(1);
      expect((await handle.query(stateQuery)).brokerId).toBe('b-1');

      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] })),
      ).toBe('being_reassigned');
      expect(
        await refusal(handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'lost' })] })),
      ).toBe('being_reassigned');
      expect(
        await refusal(handle.executeUpdate(assignmentUpdate, { args: [sent({ brokerId: 'b-3', by: 'manager:m1' })] })),
      ).toBe('being_reassigned');

      fakes.assignBrokerFails = null;
      await env.sleep(2 * MINUTE);
      const state = await settled(env, handle, (s) => s.brokerId !== 'b-1');
      expect(state).toMatchObject({ stage: 'follow_up', brokerId: 'b-2', previousBrokerIds: ['b-1'], outcome: null });
      expect(fakes.named('logContactAttempt')).toHaveLength(0);
      // Once handed over, the new broker acts as usual.
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-2', ...call })] })),
      ).toBe('accepted');
    });
  });

  test('with working hours, the deadline and its reminder count working time only, and the overnight hours do not', async () => {
    const fakes = new FakeActivities();
    // Every day a short working day, 09:00-10:20 Shanghai; the test starts at about 10:00.
    const policy = parsePolicy({
      businessHours: { deadlines: ['first_contact'], start: '09:00', end: '10:20', weekdays: [1, 2, 3, 4, 5, 6, 7] },
    });
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent(), policy }));
      await settled(env, handle);
      const { deadline } = await handle.query(stateQuery);
      const start = Date.parse(deadline!.startedAt);
      const shanghaiMidnight = Math.floor((start + 8 * HOUR) / DAY) * DAY - 8 * HOUR;
      const close = shanghaiMidnight + 10 * HOUR + 20 * MINUTE;
      const due = shanghaiMidnight + DAY + 9 * HOUR + (30 * MINUTE - (close - start));
      expect(deadline).toMatchObject({
        kind: 'first_contact',
        workingMs: 30 * MINUTE,
        dueAt: new Date(due).toISOString(),
      });

      await env.sleep(16 * MINUTE); // half of the 30 working minutes is still today
      expect(fakes.notifications('first_contact_reminder')).toHaveLength(1);
      await env.sleep(close + HOUR - (await env.currentTimeMs())); // closed for the night: nothing more today
      await env.sleep(due - MINUTE - (await env.currentTimeMs())); // the next morning, a minute before it is due
      expect(fakes.notifications('sla_breached')).toHaveLength(0);
      await env.sleep(2 * MINUTE);
      expect(fakes.notifications('sla_breached')).toHaveLength(1);
      expect((await handle.describe()).typedSearchAttributes.get(SlaDueAtKey)?.toISOString()).toBe(
        new Date(due).toISOString(),
      );
    });
  });

  test('a tier-B case approved by review gets the 4 h first-contact deadline', async () => {
    const fakes = new FakeActivities();
    fakes.prescreen = { tier: 'B', rulesFired: [], requiredDocuments: [] };
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const { state } = (await handle.executeUpdate('review', {
        args: [sent({ decision: 'approve', reviewerId: 'r1' })],
      })) as { state: { deadline: { startedAt: string; dueAt: string } } };
      expect(Date.parse(state.deadline.dueAt) - Date.parse(state.deadline.startedAt)).toBe(4 * HOUR);
    });
  });

  test('each contact attempt sets the next follow-up deadline and stops the first-contact clock', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const { state, eventId } = await handle.executeUpdate(contactAttemptUpdate, {
        args: [sent({ brokerId: 'b-1', ...call })],
      });
      expect(state.deadline).toMatchObject({ kind: 'follow_up' });
      expect(Date.parse(state.deadline!.dueAt) - Date.parse(state.deadline!.startedAt)).toBe(48 * HOUR);
      expect(fakes.named('logContactAttempt')).toEqual([
        expect.objectContaining({ eventId, brokerId: 'b-1', channel: 'phone' }),
      ]);
      expect((await handle.describe()).typedSearchAttributes.get(SlaDueAtKey)?.toISOString()).toBe(
        state.deadline!.dueAt,
      );

      await env.sleep(2 * HOUR);
      expect(fakes.notifications('first_contact_reminder')).toHaveLength(0);
      expect((await handle.query(stateQuery)).brokerId).toBe('b-1');
    });
  });
});

describe('contact limits', () => {
  test('a fourth attempt on the same day is refused, and the next day is allowed again', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      for (let i = 0; i < 3; i++)
        await handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] });
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] })),
      ).toBe('daily_cap_reached');
      expect(fakes.named('logContactAttempt')).toHaveLength(3);
      await env.sleep(DAY);
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] })),
      ).toBe('accepted');
    });
  });

  test('contact in quiet hours is refused with the reason', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] });
      await env.sleep(11 * HOUR + 30 * MINUTE); // 21:30 in Shanghai
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] })),
      ).toBe('quiet_hours');
    });
  });

  test('after do-not-contact nothing more is logged', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await handle.executeUpdate(doNotContactUpdate, { args: [sent({ by: 'compliance:c1' })] });
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] })),
      ).toBe('do_not_contact');
      expect(fakes.named('logContactAttempt')).toHaveLength(0);
    });
  });

  test('once a marketing withdrawal is accepted, marketing contact is refused even while the withdrawal is still being written', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(
        env,
        tq,
        caseInput({ consentAtIntake: withConsent(['credit_assessment', 'lender_sharing', 'marketing']) }),
      );
      await settled(env, handle);
      fakes.recordConsentEventFails = new Error('connect ECONNREFUSED');
      const withdrawal = handle.executeUpdate(withdrawConsentUpdate, {
        args: [sent({ purposes: ['marketing'], source: 'customer' })],
      });
      await realTimeUntil('the withdrawal reached its write', () =>
        fakes.named('recordConsentEvent').some((e) => e.action === 'withdraw'),
      );
      const marketing = { ...call, purpose: 'marketing' } as const;
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...marketing })] })),
      ).toBe('marketing_consent_missing');
      expect(
        await refusal(
          handle.executeUpdate(withdrawConsentUpdate, {
            args: [sent({ purposes: ['marketing'], source: 'customer' })],
          }),
        ),
      ).toBe('consent_not_granted');
      // Service calls are not marketing: they go on.
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] })),
      ).toBe('accepted');

      fakes.recordConsentEventFails = null;
      await env.sleep(MINUTE);
      const { state } = await withdrawal;
      expect(state.consent.marketing.granted).toBe(false);
      expect(fakes.named('logContactAttempt').map((e) => e.purpose)).toEqual(['service']);
    });
  });

  test('marketing contact needs marketing consent, and never reaches a vulnerable person', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const plain = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      const vulnerable = await startCase(
        env,
        tq,
        caseInput({
          consentAtIntake: withConsent(['credit_assessment', 'marketing']),
          facts: { ...caseInput().facts, vulnerable: true, ageBand: '60+' },
        }),
      );
      await settled(env, plain);
      await settled(env, vulnerable);
      const marketing = { ...call, purpose: 'marketing' } as const;
      expect(
        await refusal(plain.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...marketing })] })),
      ).toBe('marketing_consent_missing');
      const vulnerableBroker = (await vulnerable.query(stateQuery)).brokerId!;
      expect(
        await refusal(
          vulnerable.executeUpdate(contactAttemptUpdate, {
            args: [sent({ brokerId: vulnerableBroker, ...marketing })],
          }),
        ),
      ).toBe('vulnerable_no_marketing');
      expect(
        await refusal(
          vulnerable.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: vulnerableBroker, ...call })] }),
        ),
      ).toBe('accepted');
    });
  });

  test('only the assigned broker may log contact', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      expect(
        await refusal(handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-9', ...call })] })),
      ).toBe('not_assigned_broker');
    });
  });
});

describe('selection, outcome and reassignment', () => {
  test('the choice must be one of the matches; an outcome must fit the stage', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      expect(
        await refusal(
          handle.executeUpdate(selectionUpdate, { args: [sent({ brokerId: 'b-1', productId: 'p-unmatched' })] }),
        ),
      ).toBe('product_not_matched');
      expect(
        await refusal(handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'approved' })] })),
      ).toBe('not_submitted');
      expect(
        await refusal(handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'submitted' })] })),
      ).toBe('no_selection');
      const before = await handle.query(stateQuery);
      expect(before).toMatchObject({ stage: 'follow_up', selectedProductId: null, outcome: null });

      await handle.executeUpdate(selectionUpdate, { args: [sent({ brokerId: 'b-1', productId: 'p-2' })] });
      await readyToSubmit(handle, 'p-2');
      const { state: submitted } = await handle.executeUpdate(outcomeUpdate, {
        args: [sent({ brokerId: 'b-1', outcome: 'submitted' })],
      });
      expect(submitted).toMatchObject({ stage: 'submitted', selectedProductId: 'p-2', deadline: null });
      const { state: approved } = await handle.executeUpdate(outcomeUpdate, {
        args: [sent({ brokerId: 'b-1', outcome: 'approved' })],
      });
      expect(approved).toMatchObject({ stage: 'closed', outcome: 'approved' });
      // A converted case keeps its credit facts for five years.
      expect(Date.parse(approved.retentionDueAt!) - Date.parse(approved.closedAt!)).toBe(5 * 365 * DAY);
    });
  });

  test('submission needs the customer’s lender-sharing consent', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent(['credit_assessment']) }));
      await settled(env, handle);
      await handle.executeUpdate(selectionUpdate, { args: [sent({ brokerId: 'b-1', productId: 'p-1' })] });
      await acknowledge(handle, 'p-1');
      expect(
        await refusal(handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'submitted' })] })),
      ).toBe('lender_consent_required');
    });
  });

  test('submission needs the cost disclosure acknowledged, and a lender_sharing consent naming that lender', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      // lender_sharing at intake names no lender: it lets nothing go to a lender.
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const submit = () =>
        refusal(handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'submitted' })] }));
      await handle.executeUpdate(selectionUpdate, { args: [sent({ brokerId: 'b-1', productId: 'p-1' })] });
      expect(await submit()).toBe('cost_disclosure_not_acknowledged');

      // A stale hash, a product not matched, and another broker are refused, and record nothing.
      expect(await refusal(acknowledge(handle, 'p-1', 'an-old-hash'))).toBe('cost_disclosure_stale');
      expect(await refusal(acknowledge(handle, 'p-9', 'fake-12'))).toBe('product_not_matched');
      expect(await refusal(acknowledge(handle, 'p-1', 'fake-12', 'b-2'))).toBe('not_assigned_broker');
      expect(fakes.named('recordCostAcknowledgement')).toEqual([]);
      // Acknowledging another product's disclosure does not cover the one chosen.
      await acknowledge(handle, 'p-2');
      expect(await submit()).toBe('cost_disclosure_not_acknowledged');

      const { state } = await acknowledge(handle, 'p-1');
      expect(state.costAcknowledgements['p-1']).toMatchObject({
        lenderId: 'l-1',
        disclosureHash: 'fake-12',
        allInAprPct: 12,
        source: 'broker:b-1',
      });
      expect(fakes.named('recordCostAcknowledgement').at(-1)).toMatchObject({
        productId: 'p-1',
        lenderId: 'l-1',
        disclosureHash: 'fake-12',
        actor: { role: 'broker', sub: 'b-1' },
      });
      expect(await submit()).toBe('lender_consent_required');

      // Consent naming another lender does not do; naming this one does.
      await grantLenders(handle, ['l-2']);
      expect(await submit()).toBe('lender_consent_required');
      const { state: granted } = await grantLenders(handle, ['l-1']);
      expect(granted.lenderConsents['l-1']).toMatchObject({ granted: true, noticeVersion: '2026-12' });
      expect(fakes.named('recordConsentEvent').at(-1)).toMatchObject({
        action: 'grant',
        purposes: ['lender_sharing'],
        lenderIds: ['l-1'],
      });
      expect(await submit()).toBe('accepted');
    });
  });

  test('withdrawing one lender’s consent stops sharing with that lender only', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await grantLenders(handle, ['l-1', 'l-2']);
      await acknowledge(handle, 'p-1');
      await acknowledge(handle, 'p-2');

      const withdraw = (lenderIds?: string[]) =>
        handle.executeUpdate(withdrawConsentUpdate, {
          args: [sent({ purposes: ['lender_sharing'], ...(lenderIds ? { lenderIds } : {}) })],
        });
      expect(await refusal(withdraw(['l-9']))).toBe('consent_not_granted');
      const { state } = await withdraw(['l-1']);
      expect(state.lenderConsents['l-1'].granted).toBe(false);
      expect(state.lenderConsents['l-2'].granted).toBe(true);
      expect(state.consent.lender_sharing.granted).toBe(true);
      expect(fakes.named('recordConsentEvent').at(-1)).toMatchObject({ action: 'withdraw', lenderIds: ['l-1'] });
      expect(await refusal(withdraw(['l-1']))).toBe('consent_not_granted');

      await handle.executeUpdate(selectionUpdate, { args: [sent({ brokerId: 'b-1', productId: 'p-1' })] });
      expect(
        await refusal(handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'submitted' })] })),
      ).toBe('lender_consent_required');
      await handle.executeUpdate(selectionUpdate, { args: [sent({ brokerId: 'b-1', productId: 'p-2' })] });
      expect(
        await refusal(handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'submitted' })] })),
      ).toBe('accepted');

      // Withdrawing lender_sharing without lenders withdraws it for every lender it named.
      const { state: none } = await withdraw();
      expect(none.lenderConsents['l-2'].granted).toBe(false);
      expect(none.consent.lender_sharing.granted).toBe(false);
      expect(fakes.named('recordConsentEvent').at(-1)).toMatchObject({ action: 'withdraw', lenderIds: ['l-2'] });
    });
  });

  test('a manager can reassign a case or return it to the shared pool', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const { state } = await handle.executeUpdate(assignmentUpdate, {
        args: [sent({ brokerId: 'b-3', by: 'manager:m1' })],
      });
      expect(state).toMatchObject({ brokerId: 'b-3', previousBrokerIds: ['b-1'] });
      expect(fakes.notifications('case_assigned').at(-1)).toMatchObject({ recipientId: 'b-3' });
      const { state: pooled } = await handle.executeUpdate(assignmentUpdate, {
        args: [sent({ brokerId: null, by: 'manager:m1' })],
      });
      expect(pooled.brokerId).toBeNull();
    });
  });

  test("a leaving broker's case is handed to another broker, once, however often the signal arrives", async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await handle.signal(brokerLeavingSignal, sent({ brokerId: 'b-1' }));
      await handle.signal(brokerLeavingSignal, sent({ brokerId: 'b-1' }));
      await settled(env, handle, (s) => s.brokerId === 'b-2');
      const state = await handle.query(stateQuery);
      expect(state.brokerId).toBe('b-2');
      expect(fakes.named('assignBroker')).toHaveLength(2); // the first assignment, and one hand-over
    });
  });
});

describe('broker offboarding', () => {
  test('every open case of a leaving broker is handed over, even when one of them has ended since it was listed', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const live = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, live);
      const ended = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, ended);
      await ended.terminate('ended by an operator');
      // The projection still lists the ended one, first; a case that never had a workflow too.
      fakes.openCasesOfBroker = [
        ended.workflowId.replace(/^lead-/, ''),
        randomUUID(),
        live.workflowId.replace(/^lead-/, ''),
      ];
      const offboarding = await env.client.workflow.start(brokerOffboarding, {
        workflowId: `offboarding-${randomUUID()}`,
        taskQueue: tq,
        args: [sent({ brokerId: 'b-1' })],
      });
      expect(await offboarding.result()).toEqual({ handedOver: 1, ended: 2 });
      expect(fakes.named('setBrokerActive')).toEqual([{ brokerId: 'b-1', active: false }]);
      await settled(env, live, (s) => s.brokerId === 'b-2');
      expect((await live.query(stateQuery)).brokerId).toBe('b-2');
    });
  });
});

describe('withdrawal of credit_assessment', () => {
  const stages = {
    awaiting_consent: { consent: undefined, tier: 'A' as const },
    manual_review: { consent: withConsent(), tier: 'B' as const },
    follow_up: { consent: withConsent(), tier: 'A' as const },
    declined: { consent: withConsent(), tier: 'C' as const },
  };
  for (const [stage, setup] of Object.entries(stages)) {
    test(`withdrawal at ${stage} erases the identity at once and stops every timer`, async () => {
      const fakes = new FakeActivities();
      fakes.prescreen = { tier: setup.tier, rulesFired: [], requiredDocuments: [] };
      await withWorker(env, fakes, async (tq) => {
        const handle = await startCase(env, tq, caseInput({ consentAtIntake: setup.consent }));
        await settled(env, handle);
        expect((await handle.query(stateQuery)).stage).toBe(stage);
        const { state } = await handle.executeUpdate(withdrawConsentUpdate, {
          args: [sent({ purposes: ['credit_assessment'], source: 'customer' })],
        });
        expect(state.stage).toBe('erased');
        expect(await handle.result()).toMatchObject({ stage: 'erased', closeReason: 'consent_withdrawn' });
        expect(fakes.named('eraseLeadData')).toEqual([expect.objectContaining({ reason: 'consent_withdrawn' })]);
        const callsAtErasure = fakes.calls.length;
        await env.sleep(30 * DAY);
        expect(fakes.calls.length).toBe(callsAtErasure);
      });
    });
  }
});

describe('where the case writes run', () => {
  const scheduledActivities = async (handle: Awaited<ReturnType<typeof startCase>>) => {
    const { events } = await handle.fetchHistory();
    return (events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
  };

  test('a contact attempt writes its log entry and the projection in one local activity, with no activity task', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const before = (await handle.fetchHistory()).events!.length;
      await handle.executeUpdate(contactAttemptUpdate, { args: [sent({ brokerId: 'b-1', ...call })] });

      const written = fakes.named('recordContactAttempt');
      expect(written).toHaveLength(1);
      expect(written[0].case.projection).toMatchObject({ stage: 'follow_up', slaKind: 'follow_up' });
      const after = (await handle.fetchHistory()).events!.slice(before);
      expect(after.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(
        1,
      );
      expect(after.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    });
  });

  test("a case's own writes are local activities; only the pre-screen, matching and assignment are activity tasks", async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      expect(await scheduledActivities(handle)).toEqual(['prescreenLead', 'matchLead', 'assignBroker']);
      // The writes still happened: consent, projections at each stage, the assignment notice.
      expect(fakes.named('recordConsentEvent')).toHaveLength(1);
      expect(fakes.named('projectCase').map((p) => p.projection.stage)).toEqual(
        expect.arrayContaining(['prescreening', 'matching', 'follow_up']),
      );
      expect(fakes.notifications('case_assigned')).toHaveLength(1);
    });
  });

  test('every projection carries the workflow time it was asked at, from which a missing case row is given up on', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const started = (await handle.describe()).startTime.getTime();
      const asked = fakes.named('projectCase').map((p) => Date.parse(p.at));
      expect(asked.length).toBeGreaterThan(2);
      for (const at of asked) expect(at).toBeGreaterThanOrEqual(started);
      expect([...asked].sort((a, b) => a - b)).toEqual(asked); // in the order the workflow asked
    });
  });
});
