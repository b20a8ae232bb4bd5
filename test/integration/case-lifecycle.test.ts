import { randomUUID } from 'node:crypto';
import { createLeadActivities } from '../../src/modules/lead/activities/case';
import { verifyAuditChain } from '../../src/platform/audit/verify';
import { aBroker, aChannel, aLead, actors, anIdNumber } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { readyToSubmit } from '../support/lender-sharing';
import { eventually, serveVariant, startStack, type TestStack } from '../support/stack';
import { stateQuery } from '../../src/modules/lead/messages';
import { leadWorkflowId } from '../../src/platform/temporal/names';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ POLICY_FILE: noQuietHours() });
});
afterAll(async () => stack?.stop());

const projection = async (caseId: string) =>
  (await stack.db.query('SELECT * FROM lead_cases WHERE id = $1', [caseId]))[0];
const waitForStage = (caseId: string, stage: string) =>
  eventually(async () => {
    const row = await projection(caseId);
    return row.stage === stage ? row : null;
  }, `case ${caseId} to reach ${stage}`);

/** A channel with its own team and brokers, so assignment in this test is deterministic. */
async function team(brokers = 2) {
  const ch = await aChannel(stack.db, { grade: 'premium' });
  const ids: string[] = [];
  for (let i = 0; i < brokers; i++) ids.push(await aBroker(stack.db, ch.team));
  return { channel: ch.id, brokers: ids.sort() };
}

describe('a tier-A case through the API, with the real activities on Postgres', () => {
  test('consent at intake: scored, matched within the APR cap, assigned in its team, and worked to approval', async () => {
    const t = await team();
    const intake = await stack.api(actors.channel(t.channel), 'POST', '/v1/leads', aLead({ channelId: t.channel }));
    expect(intake.status).toBe(201);
    const caseId = intake.body.caseId;
    const row = await waitForStage(caseId, 'follow_up');
    expect(row.risk_tier).toBe('A');
    expect(t.brokers).toContain(row.broker_id);
    const broker = actors.broker(row.broker_id);

    const decision = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/decision`);
    expect(decision.status).toBe(200);
    const prescreen = decision.body.decisions.find((d: any) => d.kind === 'prescreen');
    expect(prescreen).toMatchObject({ automated: true, tier: 'A', requiredDocuments: ['id_card_copy'] });
    expect(prescreen.inputs).toMatchObject({ deviceLeads24h: 1, blacklisted: false, lenderApplications: 0 });
    const match = decision.body.decisions.find((d: any) => d.kind === 'match');
    const matched = match.matches.map((m: any) => m.productId);
    expect(matched.length).toBeGreaterThan(0);
    expect(matched).not.toContain('prod-trust-c-high'); // 35.9 % APR: above the 24 % cap
    expect(matched).not.toContain('prod-unlicensed-x');
    const excluded = Object.fromEntries(match.excludedProducts.map((e: any) => [e.productId, e.reasons]));
    expect(excluded['prod-trust-c-high']).toContain('all_in_cost_above_cap');
    expect(excluded['prod-unlicensed-x']).toContain('lender_unlicensed');
    // Nominal 18 %, but its guarantee and insurance fees take this case's all-in cost above 24 %.
    expect(excluded['prod-cfc-b-guaranteed']).toEqual(['all_in_cost_above_cap']);
    expect(excluded['prod-bank-d-offlist']).toEqual(['not_on_partner_list']);
    for (const m of match.matches) expect(m.allInAprPct).toBeLessThanOrEqual(24);

    const contact = await stack.api(broker, 'POST', `/v1/leads/${caseId}/contact-attempts`, {
      channel: 'phone',
      purpose: 'service',
      outcome: 'reached',
      note: '客户说下午再联系',
    });
    expect(contact.status).toBe(201);
    expect(contact.body.deadline.kind).toBe('follow_up');
    const [logged] = await stack.db.query('SELECT broker_id, note FROM contact_log WHERE case_id = $1', [caseId]);
    expect(logged).toEqual({ broker_id: row.broker_id, note: '客户说下午再联系' });

    const wrong = await stack.api(broker, 'POST', `/v1/leads/${caseId}/selection`, { productId: 'prod-trust-c-high' });
    expect([wrong.status, wrong.body.code]).toEqual([422, 'product_not_matched']);
    const early = await stack.api(broker, 'POST', `/v1/leads/${caseId}/outcome`, { outcome: 'approved' });
    expect([early.status, early.body.code]).toEqual([409, 'not_submitted']);

    expect((await stack.api(broker, 'POST', `/v1/leads/${caseId}/selection`, { productId: matched[0] })).status).toBe(
      200,
    );
    // Before it goes to the lender: the customer's acknowledgement of the product's cost disclosure,
    // and consent to share with that lender (test/integration/lender-sharing.test.ts for the refusals).
    const unready = await stack.api(broker, 'POST', `/v1/leads/${caseId}/outcome`, { outcome: 'submitted' });
    expect([unready.status, unready.body.code]).toEqual([422, 'cost_disclosure_not_acknowledged']);
    await readyToSubmit(stack, broker, caseId, matched[0]);
    expect((await stack.api(broker, 'POST', `/v1/leads/${caseId}/outcome`, { outcome: 'submitted' })).body.stage).toBe(
      'submitted',
    );
    const approved = await stack.api(broker, 'POST', `/v1/leads/${caseId}/outcome`, { outcome: 'approved' });
    expect(approved.body).toMatchObject({ stage: 'closed', outcome: 'approved' });

    const closed = await waitForStage(caseId, 'closed');
    expect(closed).toMatchObject({ is_open: false, outcome: 'approved', selected_product_id: matched[0] });
    // The projection agrees with the workflow.
    const live = await stack.client.workflow.getHandle(leadWorkflowId(caseId)).query(stateQuery);
    expect(new Date(closed.retention_due_at).toISOString()).toBe(live.retentionDueAt);
  });

  test('another broker cannot see or work the case, and each refusal says why', async () => {
    const t = await team(1);
    const { body } = await stack.api(actors.channel(t.channel), 'POST', '/v1/leads', aLead({ channelId: t.channel }));
    await waitForStage(body.caseId, 'follow_up');
    const stranger = actors.broker(await aBroker(stack.db, 'strangers'));
    const read = await stack.api(stranger, 'GET', `/v1/leads/${body.caseId}`);
    expect([read.status, read.body.code]).toEqual([403, 'not_your_case']);
    const contact = await stack.api(stranger, 'POST', `/v1/leads/${body.caseId}/contact-attempts`, {
      channel: 'phone',
      purpose: 'service',
      outcome: 'reached',
    });
    expect([contact.status, contact.body.code]).toEqual([403, 'not_your_case']);
  });
});

describe('a contact attempt and its audit row', () => {
  const auditRows = async (caseId: string) =>
    stack.db.query(
      `SELECT actor_sub, actor_role, details FROM audit_events WHERE action = 'contact.logged' AND target_id = $1 ORDER BY id`,
      [caseId],
    );
  const followUpCase = async () => {
    const t = await team();
    const intake = await stack.api(actors.channel(t.channel), 'POST', '/v1/leads', aLead({ channelId: t.channel }));
    const row = await waitForStage(intake.body.caseId, 'follow_up');
    return { caseId: intake.body.caseId as string, row, broker: actors.broker(row.broker_id) };
  };

  test('is written by the workflow with the log entry, once, even when the write is retried after its commit', async () => {
    const { caseId, row, broker } = await followUpCase();
    const res = await stack.api(broker, 'POST', `/v1/leads/${caseId}/contact-attempts`, {
      channel: 'sms',
      purpose: 'service',
      outcome: 'no_answer',
    });
    expect(res.status).toBe(201);
    const [entry] = await stack.db.query('SELECT event_id, local_day, at FROM contact_log WHERE case_id = $1', [
      caseId,
    ]);
    expect(await auditRows(caseId)).toEqual([
      {
        actor_sub: row.broker_id,
        actor_role: 'broker',
        details: { channel: 'sms', purpose: 'service', outcome: 'no_answer', eventId: entry.event_id },
      },
    ]);

    // The local activity run again with the same entry, as after a commit whose answer was lost.
    const current = await projection(caseId);
    const again = {
      entry: {
        caseId,
        eventId: entry.event_id,
        brokerId: row.broker_id,
        channel: 'sms',
        purpose: 'service',
        outcome: 'no_answer',
        localDay: entry.local_day,
        at: entry.at.toISOString(),
      },
      case: {
        caseId,
        seq: current.projection_seq,
        projection: {
          stage: current.stage,
          isOpen: current.is_open,
          riskTier: current.risk_tier,
          brokerId: current.broker_id,
          consentState: current.consent_state,
          slaDueAt: current.sla_due_at?.toISOString() ?? null,
          slaKind: current.sla_kind,
          doNotContact: current.do_not_contact,
          selectedProductId: current.selected_product_id,
          outcome: current.outcome,
          closedAt: null,
          retentionDueAt: null,
          legalHold: current.legal_hold,
        },
      },
      auditedBy: { sub: row.broker_id, role: 'broker' },
    } as const;
    const activities = createLeadActivities({ db: stack.db, policy: stack.cfg.policy });
    await activities.recordContactAttempt(again);
    expect(await auditRows(caseId)).toHaveLength(1);
    expect(await stack.db.query('SELECT count(*)::int AS n FROM contact_log WHERE case_id = $1', [caseId])).toEqual([
      { n: 1 },
    ]);
    expect(await verifyAuditChain(stack.db.manager)).toBeNull();
  });

  test('an accepted attempt is audited even when the API loses its database as the Update returns: the API writes nothing for it', async () => {
    const { caseId, row, broker } = await followUpCase();
    // Only the per-request check that the broker is still active gets through: everything after it fails.
    const failing = <T extends object>(target: T): T =>
      new Proxy(target, {
        get: (t, prop, receiver) =>
          prop === 'query'
            ? async (sql: string, params?: unknown[]) =>
                sql.startsWith('SELECT active FROM brokers')
                  ? stack.db.query(sql, params)
                  : Promise.reject(new Error('Connection terminated unexpectedly'))
            : Reflect.get(t, prop, receiver),
      });
    const db = new Proxy(stack.db, {
      get: (t, prop, receiver) =>
        prop === 'query'
          ? failing(t.manager).query
          : prop === 'manager'
            ? failing(t.manager)
            : Reflect.get(t, prop, receiver),
    });
    const api = await serveVariant(stack, { db });
    try {
      const res = await api.call(broker, 'POST', `/v1/leads/${caseId}/contact-attempts`, {
        channel: 'phone',
        purpose: 'service',
        outcome: 'reached',
      });
      expect(res.status).toBe(201);
    } finally {
      await api.close();
    }
    const [entry] = await stack.db.query('SELECT event_id FROM contact_log WHERE case_id = $1', [caseId]);
    expect(await auditRows(caseId)).toEqual([
      {
        actor_sub: row.broker_id,
        actor_role: 'broker',
        details: { channel: 'phone', purpose: 'service', outcome: 'reached', eventId: entry.event_id },
      },
    ]);
  });

  test('a refused attempt answers as a read of the case would, and leaves neither a log entry nor an audit row', async () => {
    const { caseId, broker } = await followUpCase();
    const attempt = { channel: 'phone', purpose: 'service', outcome: 'reached' };
    const unknown = await stack.api(broker, 'POST', `/v1/leads/${randomUUID()}/contact-attempts`, attempt);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'case_not_found']);
    // Another broker learns nothing of the case, not even that the marketing text would be refused.
    const stranger = actors.broker(await aBroker(stack.db, 'strangers'));
    const bad = { channel: 'sms', purpose: 'marketing', outcome: 'reached', marketingText: '无抵押秒批，100%下款' };
    for (const body of [attempt, bad]) {
      const res = await stack.api(stranger, 'POST', `/v1/leads/${caseId}/contact-attempts`, body);
      expect([res.status, res.body.code]).toEqual([403, 'not_your_case']);
    }
    const own = await stack.api(broker, 'POST', `/v1/leads/${caseId}/contact-attempts`, bad);
    expect([own.status, own.body.code]).toEqual([422, 'marketing_text_violation']);
    expect(await stack.db.query('SELECT count(*)::int AS n FROM contact_log WHERE case_id = $1', [caseId])).toEqual([
      { n: 0 },
    ]);
    expect(await auditRows(caseId)).toEqual([]);
  });
});

describe('pre-screen signals from Postgres', () => {
  test('the same device on more leads than the policy allows within 24 h sends the case to manual review', async () => {
    const t = await team();
    const deviceId = `shared-device-${Date.now()}`;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await stack.api(
        actors.channel(t.channel),
        'POST',
        '/v1/leads',
        aLead({ channelId: t.channel, context: { deviceId } }),
      );
      ids.push(res.body.caseId);
      await eventually(async () => (await projection(res.body.caseId)).risk_tier, 'a tier');
    }
    const tiers = await Promise.all(ids.map(async (id) => (await projection(id)).risk_tier));
    expect(tiers).toEqual(['A', 'A', 'A', 'B']);
    const [d] = await stack.db.query(
      `SELECT rules_fired, inputs FROM decisions WHERE case_id = $1 AND kind = 'prescreen'`,
      [ids[3]],
    );
    expect(d.inputs.deviceLeads24h).toBe(4);
    expect(d.rules_fired.map((r: any) => r.code)).toContain('device_reused');
  });

  test('a debt load that fails the stress test is declined with the rule that fired', async () => {
    const t = await team();
    const res = await stack.api(
      actors.channel(t.channel),
      'POST',
      '/v1/leads',
      aLead({ channelId: t.channel, applicant: { monthlyIncome: 8_000, monthlyDebt: 4_000 } }),
    );
    const row = await waitForStage(res.body.caseId, 'declined');
    expect(row.risk_tier).toBe('C');
    const explanation = await stack.api(actors.compliance(), 'GET', `/v1/leads/${res.body.caseId}/decision`);
    expect(explanation.body.decisions[0].rulesFired.map((r: any) => r.code)).toContain('stressed_dti_above_tier_b_max');
    expect(explanation.body.humanReview.available).toBe(true);
  });

  test('a tier-B case is decided by a risk officer, whose free-text reason stays out of Temporal', async () => {
    const t = await team();
    // A person of 60 or more is vulnerable: the pre-screen cannot auto-pass them.
    const elderly = await stack.api(
      actors.channel(t.channel),
      'POST',
      '/v1/leads',
      aLead({
        channelId: t.channel,
        applicant: { idNumber: anIdNumber(60), occupation: 'retired' },
      }),
    );
    const row = await waitForStage(elderly.body.caseId, 'manual_review');
    expect(row).toMatchObject({ risk_tier: 'B', vulnerable: true });

    const byBroker = await stack.api(actors.broker(), 'POST', `/v1/leads/${elderly.body.caseId}/review`, {
      decision: 'approve',
      reason: 'ok',
    });
    expect(byBroker.status).toBe(403);
    const reason = '收入证明已核实 (reviewer note)';
    const review = await stack.api(actors.risk(), 'POST', `/v1/leads/${elderly.body.caseId}/review`, {
      decision: 'approve',
      reason,
    });
    expect(review.status).toBe(200);
    expect(review.body.stage).toBe('follow_up');
    const [stored] = await stack.db.query(
      `SELECT result, decided_by FROM decisions WHERE case_id = $1 AND kind = 'manual_review'`,
      [elderly.body.caseId],
    );
    expect(stored).toEqual({ result: { reason }, decided_by: 'r1' });
    const history = JSON.stringify(
      await stack.client.workflow.getHandle(leadWorkflowId(elderly.body.caseId)).fetchHistory(),
    );
    expect(history).not.toContain('reviewer note');
  });
});

describe('consent withdrawal and erasure', () => {
  test('withdrawing credit_assessment erases the personal data, keeps de-identified facts and writes the evidence', async () => {
    const t = await team();
    const lead = aLead({ channelId: t.channel });
    const { body } = await stack.api(actors.channel(t.channel), 'POST', '/v1/leads', lead);
    await waitForStage(body.caseId, 'follow_up');

    const res = await stack.api(actors.channel(t.channel), 'POST', `/v1/leads/${body.caseId}/consents/withdraw`, {
      purposes: ['credit_assessment'],
    });
    expect(res.status).toBe(200);
    expect(res.body.stage).toBe('erased');

    const row = await waitForStage(body.caseId, 'erased');
    expect(row).toMatchObject({
      id_index: null,
      phone_index: null,
      device_index: null,
      age_at_intake: null,
      is_open: false,
    });
    expect(row.age_band).toBe('30-39');
    for (const table of ['identities', 'lead_data_keys', 'credit_facts']) {
      expect(await stack.db.query(`SELECT 1 FROM ${table} WHERE case_id = $1`, [body.caseId])).toEqual([]);
    }
    const [evidence] = await stack.db.query(
      'SELECT reason, evidence_hash, facts FROM erasure_records WHERE case_id = $1',
      [body.caseId],
    );
    expect(evidence.reason).toBe('consent_withdrawn');
    expect(evidence.evidence_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(evidence.facts).toMatchObject({
      ageBand: '30-39',
      amountBand: '100k-200k',
      channelId: t.channel,
      tier: 'A',
    });
    const ledger = await stack.db.query('SELECT purpose, action FROM consents WHERE case_id = $1 ORDER BY id', [
      body.caseId,
    ]);
    expect(ledger).toEqual([
      { purpose: 'credit_assessment', action: 'grant' },
      { purpose: 'lender_sharing', action: 'grant' },
      { purpose: 'credit_assessment', action: 'withdraw' },
    ]);

    const view = await stack.api(actors.manager(), 'GET', `/v1/leads/${body.caseId}`);
    expect(view.body.applicant).toBeNull();
    const pii = await stack.api(actors.compliance(), 'GET', `/v1/leads/${body.caseId}/pii?purpose=regulator_request`);
    expect(pii.status).toBe(410);

    // The same person may come back as a new case: the old one no longer blocks them.
    const again = await stack.api(actors.channel(t.channel), 'POST', '/v1/leads', { ...lead, consent: undefined });
    expect(again.status).toBe(201);
    expect(again.body.caseId).not.toBe(body.caseId);
  });
});

describe('legal hold on a case', () => {
  test('the reason is kept beside the case, listed for compliance, left out of the audit chain, and cleared by erasure; a retried request records once', async () => {
    const t = await team();
    const { body } = await stack.api(actors.channel(t.channel), 'POST', '/v1/leads', aLead({ channelId: t.channel }));
    await waitForStage(body.caseId, 'follow_up');
    const hold = (on: boolean, reason: string, key?: string) =>
      stack.api(
        actors.compliance(),
        'POST',
        `/v1/leads/${body.caseId}/legal-hold`,
        { hold: on, reason },
        key ? { 'Idempotency-Key': key } : {},
      );

    const key = `hold-${body.caseId}`;
    expect((await hold(true, '法院协助调查函 (2026) 京0105 号', key)).status).toBe(200);
    expect((await hold(true, '法院协助调查函 (2026) 京0105 号', key)).status).toBe(200); // the same request again
    expect((await hold(true, 'a second hold')).body.code).toBe('already_on_hold');

    // While held, a withdrawal keeps the data.
    const withdrawn = await stack.api(actors.channel(t.channel), 'POST', `/v1/leads/${body.caseId}/consents/withdraw`, {
      purposes: ['credit_assessment'],
    });
    expect(withdrawn.body.stage).toBe('withdrawn');
    expect(await stack.db.query('SELECT 1 FROM identities WHERE case_id = $1', [body.caseId])).toHaveLength(1);

    const listed = await stack.api(actors.compliance(), 'GET', `/v1/leads/${body.caseId}/legal-holds`);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ caseId: body.caseId, onHold: true, reasonsErased: false });
    expect(listed.body.events).toEqual([
      {
        id: expect.any(String),
        action: 'placed',
        reason: '法院协助调查函 (2026) 京0105 号',
        by: 'compliance:c1',
        at: expect.any(String),
      },
    ]);
    expect((await stack.api(actors.manager(), 'GET', `/v1/leads/${body.caseId}/legal-holds`)).status).toBe(403);

    expect((await hold(false, '调查结束')).status).toBe(200);
    await waitForStage(body.caseId, 'erased');

    const audits = await stack.db.query(
      `SELECT action, details FROM audit_events WHERE target_id = $1 AND action LIKE 'legal_hold.%' ORDER BY id`,
      [body.caseId],
    );
    // The workflow audits each hold with its own write, by the workflow event its legal-hold record is keyed by.
    const keys = await stack.db.query('SELECT request_key FROM legal_hold_events WHERE case_id = $1 ORDER BY id', [
      body.caseId,
    ]);
    expect(audits).toEqual([
      { action: 'legal_hold.placed', details: { eventId: expect.stringMatching(/:hold$/) } },
      { action: 'legal_hold.viewed', details: { events: 1 } },
      { action: 'legal_hold.released', details: { eventId: expect.stringMatching(/:release$/) } },
    ]);
    expect(keys.map((k: { request_key: string }) => k.request_key)).toEqual([
      `workflow:${audits[0].details.eventId}`,
      `workflow:${audits[2].details.eventId}`,
    ]);
    const after = await stack.api(actors.compliance(), 'GET', `/v1/leads/${body.caseId}/legal-holds`);
    expect(after.body).toMatchObject({ onHold: false, reasonsErased: true });
    expect(after.body.events.map((e: { action: string; reason: string | null }) => [e.action, e.reason])).toEqual([
      ['placed', null],
      ['released', null],
    ]);
  });
});

describe('notifications outbox', () => {
  test('a review request for a tier-B case lands in the outbox for risk officers, without personal data', async () => {
    const t = await team();
    const lead = aLead({ channelId: t.channel, applicant: { idNumber: anIdNumber(61) } });
    const { body } = await stack.api(actors.channel(t.channel), 'POST', '/v1/leads', lead);
    await waitForStage(body.caseId, 'manual_review');
    const rows = await eventually(async () => {
      const r = await stack.db.query(`SELECT kind, recipient_role, payload FROM notifications WHERE case_id = $1`, [
        body.caseId,
      ]);
      return r.length ? r : null;
    }, 'a notification');
    expect(rows[0]).toMatchObject({ kind: 'review_requested', recipient_role: 'risk_officer' });
    expect(JSON.stringify(rows)).not.toContain(lead.applicant.phone);
    expect(JSON.stringify(rows)).not.toContain(lead.applicant.idNumber);
  });
});
