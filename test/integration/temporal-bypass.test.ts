import { randomBytes, randomUUID } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { codecKeyring, displayOnlyCodec, EncryptionCodec } from '../../src/platform/temporal/payload-codec';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import {
  brokerLeavingSignal,
  legalHoldUpdate,
  stateQuery,
  withdrawConsentUpdate,
} from '../../src/modules/lead/messages';
import { actorSeal } from '../../src/platform/workflow/verified';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type TestStack } from '../support/stack';
import { refusal } from '../workflows/harness';

/**
 * Someone who reaches the Temporal frontend (the CLI, an SDK client) but holds none of the
 * service's keys: whatever they send a case, the worker refuses it and the case is untouched.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ POLICY_FILE: noQuietHours() });
});
afterAll(async () => stack?.stop());

const clientWith = (codec?: PayloadCodec) =>
  new Client({
    connection: stack.client.connection,
    namespace: stack.cfg.TEMPORAL_NAMESPACE,
    ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
  });
const serviceRing = () => codecKeyring(stack.cfg.CODEC_KEY_ID, stack.cfg.CODEC_KEY, stack.cfg.CODEC_OLD_KEYS);

/** A tier-A case in follow-up, put on legal hold through the API; its broker. */
async function heldCase() {
  const ch = await aChannel(stack.db, { grade: 'premium' });
  await aBroker(stack.db, ch.team);
  const intake = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
  expect(intake.status).toBe(201);
  const caseId: string = intake.body.caseId;
  const row = await eventually(async () => {
    const [r] = await stack.db.query('SELECT stage, broker_id FROM lead_cases WHERE id = $1', [caseId]);
    return r?.stage === 'follow_up' && r.broker_id ? r : null;
  }, 'the case to reach follow-up');
  const hold = await stack.api(actors.compliance(), 'POST', `/v1/leads/${caseId}/legal-hold`, {
    hold: true,
    reason: '诉讼保全',
  });
  expect(hold.status).toBe(200);
  return { caseId, workflowId: leadWorkflowId(caseId), brokerId: row.broker_id as string };
}

/** What an attack could have changed: the case's state, its consent ledger and its audit rows. */
async function footprint(caseId: string, handle: WorkflowHandle) {
  const [{ audit }] = await stack.db.query(
    `SELECT count(*)::int AS audit FROM audit_events WHERE target_type = 'lead_case' AND target_id = $1`,
    [caseId],
  );
  const [{ consents }] = await stack.db.query('SELECT count(*)::int AS consents FROM consents WHERE case_id = $1', [
    caseId,
  ]);
  const [{ contacts }] = await stack.db.query('SELECT count(*)::int AS contacts FROM contact_log WHERE case_id = $1', [
    caseId,
  ]);
  const state = await handle.query(stateQuery);
  return { audit, consents, contacts, stage: state.stage, legalHold: state.legalHold !== null, seq: state.seq };
}

describe('Temporal without the service keys cannot act on a case', () => {
  test('plaintext Updates (a withdrawal, a hold released, a contact attempt naming a forged auditor) are refused; the case and its trail are unchanged', async () => {
    const c = await heldCase();
    const service = stack.client.workflow.getHandle(c.workflowId);
    const before = await footprint(c.caseId, service);
    expect(before.legalHold).toBe(true);

    const plain = clientWith().workflow.getHandle(c.workflowId);
    expect(
      await refusal(
        plain.executeUpdate('withdrawConsent', {
          args: [{ purposes: ['credit_assessment'], source: 'broker:b-east-1' }],
        }),
      ),
    ).toBe('unverified_message');
    expect(await refusal(plain.executeUpdate('legalHold', { args: [{ hold: false, by: 'x' }] }))).toBe(
      'unverified_message',
    );
    const forged = {
      brokerId: c.brokerId,
      channel: 'phone',
      purpose: 'service',
      outcome: 'reached',
      auditedBy: { sub: 'forged-compliance-officer', role: 'compliance' },
    };
    expect(await refusal(plain.executeUpdate('logContactAttempt', { args: [forged] }))).toBe('unverified_message');
    // A well-formed sender does not help without the codec key.
    const updateId = randomUUID();
    const withAuth = {
      hold: false,
      auth: actorSeal(c.workflowId, 'legalHold', updateId, { sub: 'c1', role: 'compliance' }),
    };
    expect(await refusal(plain.executeUpdate('legalHold', { args: [withAuth], updateId }))).toBe('unverified_message');

    expect(await footprint(c.caseId, service)).toEqual(before);
    const [forgedRows] = await stack.db.query(
      `SELECT count(*)::int AS n FROM audit_events WHERE actor_sub = 'forged-compliance-officer'`,
    );
    expect(forgedRows.n).toBe(0);
  });

  test('payloads sealed with an unknown key, or by the Web UI codec endpoint (display-only), are refused as well', async () => {
    const c = await heldCase();
    const service = stack.client.workflow.getHandle(c.workflowId);
    const before = await footprint(c.caseId, service);
    const release = (updateId: string) => ({
      hold: false,
      auth: actorSeal(c.workflowId, legalHoldUpdate.name, updateId, { sub: 'c1', role: 'compliance' }),
    });

    const unknownKey = clientWith(
      new EncryptionCodec(codecKeyring('attacker', randomBytes(32).toString('base64'))),
    ).workflow.getHandle(c.workflowId);
    const id1 = randomUUID();
    expect(await refusal(unknownKey.executeUpdate(legalHoldUpdate, { args: [release(id1)], updateId: id1 }))).toBe(
      'unverified_message',
    );
    // The service's key ID with another key: the seal does not verify.
    const sameIdOtherKey = clientWith(
      new EncryptionCodec(codecKeyring(stack.cfg.CODEC_KEY_ID, randomBytes(32).toString('base64'))),
    ).workflow.getHandle(c.workflowId);
    const id2 = randomUUID();
    expect(await refusal(sameIdOtherKey.executeUpdate(legalHoldUpdate, { args: [release(id2)], updateId: id2 }))).toBe(
      'unverified_message',
    );
    // What a signed-in manager could get from /v1/codec/encode: readable in the Web UI, refused by the worker.
    const display = clientWith(displayOnlyCodec(serviceRing())).workflow.getHandle(c.workflowId);
    const id3 = randomUUID();
    expect(await refusal(display.executeUpdate(legalHoldUpdate, { args: [release(id3)], updateId: id3 }))).toBe(
      'unverified_message',
    );

    expect(await footprint(c.caseId, service)).toEqual(before);
  });

  test('a plaintext Signal is ignored and leaves the case working: it answers a normal action afterwards', async () => {
    const c = await heldCase();
    const plain = clientWith().workflow.getHandle(c.workflowId);
    await plain.signal('brokerLeaving', { brokerId: c.brokerId });
    await plain.signal('doNotContactRequested', { by: 'complaint:forged' });
    const display = clientWith(displayOnlyCodec(serviceRing())).workflow.getHandle(c.workflowId);
    await display.signal(brokerLeavingSignal, {
      brokerId: c.brokerId,
      auth: actorSeal(c.workflowId, brokerLeavingSignal.name, randomUUID(), { sub: 'm1', role: 'manager' }),
    });

    const contact = await stack.api(actors.broker(c.brokerId), 'POST', `/v1/leads/${c.caseId}/contact-attempts`, {
      channel: 'phone',
      purpose: 'service',
      outcome: 'reached',
    });
    expect(contact.status).toBe(201);
    expect(contact.body).toMatchObject({
      brokerId: c.brokerId,
      departedBrokerIds: [],
      doNotContact: false,
      contactAttempts: 1,
    });
  });

  test('a sealed Update copied to another case, or re-sent under another Update ID, is refused', async () => {
    const a = await heldCase();
    const b = await heldCase();
    // The service's own client stands in for a copy of a sealed payload from a's history.
    const updateId = randomUUID();
    const forA = {
      hold: false,
      auth: actorSeal(a.workflowId, legalHoldUpdate.name, updateId, { sub: 'c1', role: 'compliance' }),
    };
    const before = await footprint(b.caseId, stack.client.workflow.getHandle(b.workflowId));
    expect(
      await refusal(
        stack.client.workflow.getHandle(b.workflowId).executeUpdate(legalHoldUpdate, { args: [forA], updateId }),
      ),
    ).toBe('unverified_message');
    expect(
      await refusal(
        stack.client.workflow
          .getHandle(a.workflowId)
          .executeUpdate(legalHoldUpdate, { args: [forA], updateId: randomUUID() }),
      ),
    ).toBe('unverified_message');
    const sameId = {
      purposes: ['credit_assessment' as const],
      auth: { ...forA.auth, message: withdrawConsentUpdate.name },
    };
    expect(
      await refusal(
        stack.client.workflow
          .getHandle(b.workflowId)
          .executeUpdate(withdrawConsentUpdate, { args: [sameId], updateId }),
      ),
    ).toBe('unverified_message');
    expect(await footprint(b.caseId, stack.client.workflow.getHandle(b.workflowId))).toEqual(before);
    expect((await stack.client.workflow.getHandle(a.workflowId).query(stateQuery)).legalHold).not.toBeNull();
  });

  test('a legal hold placed and released through the API is audited from the workflow’s own write, once, naming the compliance officer', async () => {
    const c = await heldCase();
    const released = await stack.api(
      actors.compliance(),
      'POST',
      `/v1/leads/${c.caseId}/legal-hold`,
      { hold: false, reason: '诉讼结束' },
      { 'Idempotency-Key': randomUUID() },
    );
    expect(released.status).toBe(200);
    const rows = await stack.db.query(
      `SELECT action, actor_sub, actor_role, details FROM audit_events WHERE target_type = 'lead_case' AND target_id = $1 AND action LIKE 'legal_hold.%' ORDER BY id`,
      [c.caseId],
    );
    expect(
      rows.map((r: { action: string; actor_sub: string; actor_role: string }) => [r.action, r.actor_sub, r.actor_role]),
    ).toEqual([
      ['legal_hold.placed', 'c1', 'compliance'],
      ['legal_hold.released', 'c1', 'compliance'],
    ]);
    // Each audit row names the workflow's event, whose legal-hold record carries the reason.
    const events = await stack.db.query(
      'SELECT hold, reason, actor, request_key FROM legal_hold_events WHERE case_id = $1 ORDER BY id',
      [c.caseId],
    );
    expect(events).toEqual([
      { hold: true, reason: '诉讼保全', actor: 'compliance:c1', request_key: `workflow:${rows[0].details.eventId}` },
      { hold: false, reason: '诉讼结束', actor: 'compliance:c1', request_key: `workflow:${rows[1].details.eventId}` },
    ]);
  });
});

describe('a case whose workflow was terminated (by an insider, or by Temporal at its history limit)', () => {
  test('compliance still places and releases a legal hold: on the case row, which the sweep honours, each with its event and audit row, refused twice', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    await aBroker(stack.db, ch.team);
    const intake = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    const caseId: string = intake.body.caseId;
    await eventually(
      async () =>
        (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [caseId]))[0]?.stage === 'follow_up' ||
        null,
      'the case to reach follow-up',
    );
    await stack.client.workflow.getHandle(leadWorkflowId(caseId)).terminate('cut off');
    const holdOf = async () =>
      (await stack.db.query('SELECT legal_hold FROM lead_cases WHERE id = $1', [caseId]))[0].legal_hold;
    const audited = async () =>
      (
        await stack.db.query(
          `SELECT action, details FROM audit_events WHERE target_type = 'lead_case' AND target_id = $1 AND action LIKE 'legal_hold.%' ORDER BY id`,
          [caseId],
        )
      ).map((r: { action: string; details: { workflow?: string } }) => `${r.action}:${r.details.workflow}`);

    const placed = await stack.api(actors.compliance(), 'POST', `/v1/leads/${caseId}/legal-hold`, {
      hold: true,
      reason: '诉讼保全',
    });
    expect(placed.status).toBe(200);
    expect(placed.body).toMatchObject({ caseId, legalHold: true });
    expect(await holdOf()).toBe(true);
    const again = await stack.api(actors.compliance(), 'POST', `/v1/leads/${caseId}/legal-hold`, {
      hold: true,
      reason: 'twice',
    });
    expect([again.status, again.body.code]).toEqual([409, 'already_on_hold']);

    const released = await stack.api(actors.compliance(), 'POST', `/v1/leads/${caseId}/legal-hold`, {
      hold: false,
      reason: '解除',
    });
    expect(released.status).toBe(200);
    expect(await holdOf()).toBe(false);
    expect(await audited()).toEqual(['legal_hold.placed:ended', 'legal_hold.released:ended']);
    const events = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/legal-holds`);
    expect(events.body.events.map((e: { action: string; reason: string }) => [e.action, e.reason])).toEqual([
      ['placed', '诉讼保全'],
      ['released', '解除'],
    ]);
  });
});

describe('a case terminated and started again from its own sealed input (copied from its history)', () => {
  test('the new run does not own the workflow ID: it writes nothing, a replayed sealed Update does nothing, and the run fails', async () => {
    const c = await heldCase();
    const service = stack.client.workflow.getHandle(c.workflowId);
    const firstRunId = (await service.describe()).raw.workflowExecutionInfo?.firstRunId;
    const before = await footprint(c.caseId, service);
    const history = await service.fetchHistory();
    const sealedInput = history.events![0].workflowExecutionStartedEventAttributes!.input;
    const sealedHold = history.events!.find(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === 'legalHold',
    )!.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!;

    await service.terminate('insider');
    const svc = stack.client.workflowService;
    const namespace = stack.cfg.TEMPORAL_NAMESPACE;
    const started = await svc.startWorkflowExecution({
      namespace,
      workflowId: c.workflowId,
      workflowType: { name: 'leadCase' },
      taskQueue: { name: stack.cfg.TEMPORAL_TASK_QUEUE },
      input: sealedInput,
      requestId: randomUUID(),
      identity: 'insider',
    });
    // The hold's Update, copied byte for byte, sent again under its own ID to the new run.
    await svc
      .updateWorkflowExecution({
        namespace,
        workflowExecution: { workflowId: c.workflowId, runId: started.runId },
        request: sealedHold,
        waitPolicy: { lifecycleStage: 3 },
      })
      .catch(() => undefined);

    const impostor = stack.client.workflow.getHandle(c.workflowId, started.runId);
    const status = await eventually(async () => {
      const s = (await impostor.describe()).status.name;
      return s === 'RUNNING' ? null : s;
    }, 'the new run to end');
    expect(status).toBe('FAILED');
    const [claim] = await stack.db.query('SELECT first_run_id FROM workflow_run_claims WHERE workflow_id = $1', [
      c.workflowId,
    ]);
    expect(claim.first_run_id).toBe(firstRunId);
    const [{ audit }] = await stack.db.query(
      `SELECT count(*)::int AS audit FROM audit_events WHERE target_type = 'lead_case' AND target_id = $1`,
      [c.caseId],
    );
    const [{ consents }] = await stack.db.query('SELECT count(*)::int AS consents FROM consents WHERE case_id = $1', [
      c.caseId,
    ]);
    const [row] = await stack.db.query('SELECT stage, legal_hold FROM lead_cases WHERE id = $1', [c.caseId]);
    expect({ audit, consents, stage: row.stage, legalHold: row.legal_hold }).toEqual({
      audit: before.audit,
      consents: before.consents,
      stage: before.stage,
      legalHold: true,
    });
  });
});
