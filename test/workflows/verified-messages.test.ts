import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { leadCase } from '../../src/modules/lead/workflow';
import {
  brokerLeavingSignal,
  contactAttemptUpdate,
  legalHoldUpdate,
  outcomeUpdate,
  stateQuery,
  withdrawConsentUpdate,
} from '../../src/modules/lead/messages';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import { firstResponseUpdate } from '../../src/modules/complaint/messages';
import { ComplaintFakes, complaintInput, startComplaint } from './complaint-fakes';
import { actorSeal, REFUSED_PAYLOAD_KEY } from '../../src/platform/workflow/verified';
import {
  caseInput,
  DAY,
  FakeActivities,
  refusal,
  sent,
  settled,
  startCase,
  timeSkippingEnv,
  untilShanghaiMorning,
  withConsent,
  withWorker,
} from './harness';

// One time-skipping server per test: its clock is global, so tests must not share it.
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await timeSkippingEnv();
});
afterEach(async () => env?.teardown());

/** A client that sends what it is given, as someone with Temporal access but not the service's code would. */
const rawClient = () => new Client({ connection: env.connection, namespace: env.namespace });
/** What the worker's codec hands the workflow in place of a payload it did not seal. */
const refusedPayload = { [REFUSED_PAYLOAD_KEY]: 'unsealed' };

/** A case in follow-up with broker b-1, and the fakes that recorded its writes. */
async function caseInFollowUp(tq: string) {
  // Contact is allowed in the morning only (quiet hours).
  await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
  const handle = await startCase(
    env,
    tq,
    caseInput({ consentAtIntake: withConsent(['credit_assessment', 'lender_sharing', 'marketing']) }),
  );
  await settled(env, handle);
  return handle;
}

describe('only the service acts on a case', () => {
  test('Updates without a verified sender are refused and change nothing: a withdrawal, a hold released, a contact attempt naming its auditor', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await caseInFollowUp(tq);
      expect(
        (await handle.executeUpdate(legalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c1' })] })).state
          .legalHold,
      ).not.toBeNull();
      const before = await handle.query(stateQuery);
      const writes = fakes.calls.length;

      const raw = rawClient().workflow.getHandle(handle.workflowId);
      const withdraw = raw.executeUpdate('withdrawConsent', {
        args: [{ purposes: ['credit_assessment'], source: 'broker:b-east-1' }],
      });
      expect(await refusal(withdraw)).toBe('unverified_message');
      expect(await refusal(raw.executeUpdate('legalHold', { args: [{ hold: false, by: 'x' }] }))).toBe(
        'unverified_message',
      );
      const forgedAuditor = {
        brokerId: 'b-1',
        channel: 'phone',
        purpose: 'service',
        outcome: 'reached',
        auditedBy: { sub: 'forged-compliance-officer', role: 'compliance' },
      };
      expect(await refusal(raw.executeUpdate('logContactAttempt', { args: [forgedAuditor] }))).toBe(
        'unverified_message',
      );
      // What the worker's codec makes of a plaintext, unknown-key or display-only payload.
      expect(await refusal(raw.executeUpdate('withdrawConsent', { args: [refusedPayload] }))).toBe(
        'unverified_message',
      );

      expect(await handle.query(stateQuery)).toEqual(before);
      expect(fakes.calls.slice(writes)).toEqual([]);
    });
  });

  test('a sealed Update copied to another case, sent as another message, or re-sent under another Update ID is refused', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const a = await caseInFollowUp(tq);
      const b = await caseInFollowUp(tq);
      const raw = rawClient();
      const updateId = randomUUID();
      const sealedForA = {
        purposes: ['marketing'],
        auth: actorSeal(a.workflowId, withdrawConsentUpdate.name, updateId, { sub: 'test', role: 'channel' }),
      };

      expect(
        await refusal(
          raw.workflow
            .getHandle(b.workflowId)
            .executeUpdate(withdrawConsentUpdate, { args: [sealedForA as never], updateId }),
        ),
      ).toBe('unverified_message');
      expect(
        await refusal(
          raw.workflow
            .getHandle(a.workflowId)
            .executeUpdate(legalHoldUpdate, { args: [{ hold: true, auth: sealedForA.auth }], updateId }),
        ),
      ).toBe('unverified_message');
      expect(
        await refusal(
          raw.workflow
            .getHandle(a.workflowId)
            .executeUpdate(withdrawConsentUpdate, { args: [sealedForA as never], updateId: randomUUID() }),
        ),
      ).toBe('unverified_message');
      expect(fakes.named('recordConsentEvent').filter((e) => e.action === 'withdraw')).toEqual([]);

      // Sent as sealed, to its case, under its own ID, it is taken, and its sender audits it.
      const taken = await raw.workflow
        .getHandle(a.workflowId)
        .executeUpdate(withdrawConsentUpdate, { args: [sealedForA as never], updateId });
      expect(taken.eventId).toBeTruthy();
      expect(fakes.named('recordConsentEvent').filter((e) => e.action === 'withdraw')).toEqual([
        expect.objectContaining({
          caseId: a.workflowId.replace(/^lead-/, ''),
          purposes: ['marketing'],
          actor: { sub: 'test', role: 'channel' },
          source: 'channel:test',
        }),
      ]);
    });
  });

  test('a broker acts only as the verified sender: a message naming another broker in its fields does not make it theirs', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await caseInFollowUp(tq);
      const raw = rawClient().workflow.getHandle(handle.workflowId);
      const updateId = randomUUID();
      const asB2 = {
        channel: 'phone',
        purpose: 'service',
        outcome: 'reached',
        brokerId: 'b-1',
        auth: actorSeal(handle.workflowId, contactAttemptUpdate.name, updateId, { sub: 'b-2', role: 'broker' }),
      };
      expect(await refusal(raw.executeUpdate(contactAttemptUpdate, { args: [asB2 as never], updateId }))).toBe(
        'not_assigned_broker',
      );
    });
  });

  test('a Signal without a verified sender is ignored, and the case still answers a normal action', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await caseInFollowUp(tq);
      const raw = rawClient().workflow.getHandle(handle.workflowId);
      await raw.signal(brokerLeavingSignal, { brokerId: 'b-1' } as never);
      await raw.signal(brokerLeavingSignal, refusedPayload as never);
      await raw.signal('doNotContactRequested', { by: 'complaint:forged' });
      await env.sleep(1_000);
      let state = await handle.query(stateQuery);
      expect(state).toMatchObject({ brokerId: 'b-1', departedBrokerIds: [], doNotContact: false });

      // A verified one is taken.
      const leaving = {
        brokerId: 'b-9',
        auth: actorSeal(handle.workflowId, brokerLeavingSignal.name, randomUUID(), { sub: 'm1', role: 'manager' }),
      };
      await raw.signal(brokerLeavingSignal, leaving);
      await env.sleep(1_000);
      expect((await handle.query(stateQuery)).departedBrokerIds).toEqual(['b-9']);

      const contact = await handle.executeUpdate(contactAttemptUpdate, {
        args: [sent({ brokerId: 'b-1', channel: 'phone', purpose: 'service', outcome: 'reached' })],
      });
      expect(contact.state.contactAttempts).toBe(1);
      expect(fakes.named('recordContactAttempt').at(-1)?.auditedBy).toEqual({ sub: 'b-1', role: 'broker' });
      state = await handle.query(stateQuery);
      expect(state.stage).toBe('follow_up');
    });
  });

  test('a start whose input the codec refused, or meant for another case, ends at once and writes nothing', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const raw = rawClient();
      const refused = await raw.workflow.execute('leadCase', {
        taskQueue: tq,
        workflowId: leadWorkflowId(randomUUID()),
        args: [refusedPayload],
      });
      expect(refused).toMatchObject({ closeReason: 'refused_start', erasedAt: null });
      const other = caseInput();
      const misdirected = await raw.workflow.execute(leadCase, {
        taskQueue: tq,
        workflowId: leadWorkflowId(randomUUID()),
        args: [other],
      });
      expect(misdirected).toMatchObject({ closeReason: 'refused_start' });
      // A resumed state is handed over by a continue-as-new only, never by a start.
      const resumed = await raw.workflow.execute(leadCase, {
        taskQueue: tq,
        workflowId: leadWorkflowId(other.caseId),
        args: [{ ...other, resumeFrom: { stage: 'closed' } as never }],
      });
      expect(resumed).toMatchObject({ closeReason: 'refused_start' });
      expect(fakes.calls).toEqual([]);
    });
  });

  test('an Update retried with the same ID after the case continued as new gets its first answer; another ID is a new action', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await caseInFollowUp(tq);
      const updateId = randomUUID();
      const first = await handle.executeUpdate(outcomeUpdate, {
        args: [sent({ brokerId: 'b-1', outcome: 'customer_declined' })],
        updateId,
      });
      expect(first.state.stage).toBe('closed');
      // Closed: the case continues as new into its retention wait.
      await env.sleep(DAY);
      const latest = env.client.workflow.getHandle(handle.workflowId);
      expect((await latest.describe()).runId).not.toBe(handle.firstExecutionRunId);

      const retried = await latest.executeUpdate(outcomeUpdate, {
        args: [sent({ brokerId: 'b-1', outcome: 'customer_declined' })],
        updateId,
      });
      expect(retried).toEqual(first);
      expect(
        await refusal(
          latest.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'customer_declined' })] }),
        ),
      ).toBe('wrong_stage');
      expect(
        fakes
          .named('projectCase')
          .filter((p) => p.projection.outcome === 'customer_declined' && p.projection.stage === 'closed'),
      ).toHaveLength(1);
    });
  });

  test('a legal hold placed and released writes its event and audit row with the projection, naming the verified compliance officer', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await caseInFollowUp(tq);
      const placed = await handle.executeUpdate(legalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c7' })] });
      const released = await handle.executeUpdate(legalHoldUpdate, {
        args: [sent({ hold: false, by: 'compliance:c7' })],
      });
      const holds = fakes.named('projectCase').filter((p) => p.holdEvent);
      expect(holds.map((p) => p.holdEvent)).toEqual([
        { eventId: placed.eventId, hold: true, actor: { sub: 'c7', role: 'compliance' } },
        { eventId: released.eventId, hold: false, actor: { sub: 'c7', role: 'compliance' } },
      ]);
      // Only a compliance officer holds a case, whatever the route allowed.
      const raw = rawClient().workflow.getHandle(handle.workflowId);
      const updateId = randomUUID();
      const asBroker = {
        hold: true,
        auth: actorSeal(handle.workflowId, legalHoldUpdate.name, updateId, { sub: 'b-1', role: 'broker' }),
      };
      expect(await refusal(raw.executeUpdate(legalHoldUpdate, { args: [asBroker], updateId }))).toBe('not_compliance');
    });
  });

  test('a complaint takes only Updates with a verified sender, and records that sender as who acted', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const complaint = await startComplaint(
        env,
        tq,
        await complaintInput(env, { caseId: null, brokerId: null, keyScope: 'complaint', priority: 'low' }),
      );
      const raw = rawClient().workflow.getHandle(complaint.workflowId);
      expect(
        await refusal(
          raw.executeUpdate(firstResponseUpdate, { args: [{ by: 'compliance:c1', via: 'letter' } as never] }),
        ),
      ).toBe('unverified_message');
      expect(fakes.events('first_response')).toEqual([]);
      const answered = await complaint.executeUpdate(firstResponseUpdate, {
        args: [sent({ by: 'compliance:c9', via: 'letter' })],
      });
      expect(fakes.events('first_response')).toEqual([
        expect.objectContaining({ eventId: answered.eventId, actor: 'compliance:c9' }),
      ]);
    });
  });
});
