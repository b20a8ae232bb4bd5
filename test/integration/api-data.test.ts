import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ POLICY_FILE: noQuietHours() });
});
afterAll(async () => stack?.stop());

const followUp = async (channelId: string, lead = aLead({ channelId })) => {
  const { body } = await stack.api(actors.channel(channelId), 'POST', '/v1/leads', lead);
  const row = await eventually(async () => {
    const [r] = await stack.db.query('SELECT stage, broker_id FROM lead_cases WHERE id = $1', [body.caseId]);
    return r.stage === 'follow_up' ? r : null;
  }, 'follow_up');
  return { caseId: body.caseId as string, brokerId: row.broker_id as string, lead };
};

describe('data-subject export', () => {
  test('compliance gets everything held about the person, unmasked, and the export is audited', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const { caseId, brokerId, lead } = await followUp(ch.id);
    await stack.api(actors.broker(brokerId), 'POST', `/v1/leads/${caseId}/contact-attempts`, {
      channel: 'sms',
      purpose: 'service',
      outcome: 'no_answer',
      note: 'left a message',
    });

    const res = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/export`);
    expect(res.status).toBe(200);
    expect(res.body.identity).toMatchObject({
      name: lead.applicant.name,
      idNumber: lead.applicant.idNumber,
      phone: lead.applicant.phone,
    });
    expect(res.body.creditFacts).toEqual({
      monthlyIncome: lead.applicant.monthlyIncome,
      monthlyDebt: lead.applicant.monthlyDebt,
    });
    expect(res.body.consents.map((c: any) => c.purpose)).toEqual(['credit_assessment', 'lender_sharing']);
    expect(res.body.consents[0].noticeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(res.body.decisions.map((d: any) => d.kind)).toEqual(['prescreen', 'match']);
    expect(res.body.contactLog).toEqual([expect.objectContaining({ channel: 'sms', note: 'left a message' })]);
    const [audit] = await stack.db.query(
      `SELECT actor_sub FROM audit_events WHERE action = 'lead.exported' AND target_id = $1`,
      [caseId],
    );
    expect(audit.actor_sub).toBe('c1');
  });
});

describe('funnel report', () => {
  test('counts by channel for a period agree with the cases created in it', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const from = new Date(Date.now() - 1000).toISOString();
    const a = await followUp(ch.id);
    await followUp(ch.id);
    await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }));
    await stack.api(actors.broker(a.brokerId), 'POST', `/v1/leads/${a.caseId}/selection`, {
      productId: (await stack.api(actors.compliance(), 'GET', `/v1/leads/${a.caseId}/decision`)).body.decisions[1]
        .matches[0].productId,
    });
    await stack.api(actors.broker(a.brokerId), 'POST', `/v1/leads/${a.caseId}/outcome`, { outcome: 'submitted' });
    await stack.api(actors.broker(a.brokerId), 'POST', `/v1/leads/${a.caseId}/outcome`, { outcome: 'approved' });
    await eventually(
      async () =>
        (await stack.db.query('SELECT outcome FROM lead_cases WHERE id = $1', [a.caseId]))[0].outcome === 'approved',
      'projection',
    );

    const to = new Date(Date.now() + 1000).toISOString();
    const res = await stack.api(actors.manager(), 'GET', `/v1/reports/funnel?from=${from}&to=${to}&groupBy=channel`);
    expect(res.status).toBe(200);
    const mine = res.body.groups.find((g: any) => g.key === ch.id);
    expect(mine).toMatchObject({
      leads: 3,
      consented: 2,
      tiers: { A: 2, B: 0, C: 0 },
      assigned: 2,
      submitted: 1,
      approved: 1,
    });
    expect(mine.conversionPct).toBe(33.3);

    const bad = await stack.api(actors.manager(), 'GET', `/v1/reports/funnel?from=${to}&to=${from}`);
    expect([bad.status, bad.body.errors[0].path]).toEqual([422, 'to']);
  });
});

describe('the matrices', () => {
  test('an admin adds a product; a product above the APR cap is stored but never matched', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    await aBroker(stack.db, ch.team);
    const lender = { id: `lender-${Date.now()}`, name: 'Test bank', licenceNo: 'T-1', licensed: true };
    expect((await stack.api(actors.admin(), 'POST', '/v1/lenders', lender)).status).toBe(201);
    expect(
      (await stack.api(actors.admin(), 'POST', '/v1/lenders', { ...lender, name: 'Test bank (renamed)' })).status,
    ).toBe(200);
    const product = {
      id: `prod-${Date.now()}`,
      lenderId: lender.id,
      name: 'cheap',
      aprMinPct: 3,
      aprMaxPct: 4,
      amountMin: 1000,
      amountMax: 500000,
      termMinMonths: 1,
      termMaxMonths: 60,
      secured: false,
      disbursementDays: 1,
      eligibleTiers: ['A'],
      provinces: null,
      allowsNonLocal: true,
      ageMin: 18,
      ageMax: 70,
    };
    const overCap = { ...product, id: `${product.id}-x`, aprMinPct: 20, aprMaxPct: 30 };
    expect((await stack.api(actors.admin(), 'POST', '/v1/products', product)).status).toBe(201);
    expect((await stack.api(actors.admin(), 'POST', '/v1/products', overCap)).status).toBe(201);
    const invalid = await stack.api(actors.admin(), 'POST', '/v1/products', { ...product, aprMinPct: 9, aprMaxPct: 4 });
    expect(invalid.status).toBe(422);
    const orphan = await stack.api(actors.admin(), 'POST', '/v1/products', {
      ...product,
      id: 'prod-orphan',
      lenderId: 'no-such-lender',
    });
    expect([orphan.status, orphan.body.code]).toEqual([422, 'unknown_lender']);

    const { caseId } = await followUp(ch.id);
    const decision = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/decision`);
    const matched = decision.body.decisions[1].matches.map((m: any) => m.productId);
    expect(matched[0]).toBe(product.id); // the lowest APR for a tier-A case ranks first
    expect(matched).not.toContain(overCap.id);
  });
});

describe('Idempotency-Key on case actions', () => {
  test('a repeated contact attempt with the same key is answered from the first and logged once', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const { caseId, brokerId } = await followUp(ch.id);
    const attempt = { channel: 'phone', purpose: 'service', outcome: 'reached' };
    const first = await stack.api(actors.broker(brokerId), 'POST', `/v1/leads/${caseId}/contact-attempts`, attempt, {
      'idempotency-key': 'call-1',
    });
    const again = await stack.api(actors.broker(brokerId), 'POST', `/v1/leads/${caseId}/contact-attempts`, attempt, {
      'idempotency-key': 'call-1',
    });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM contact_log WHERE case_id = $1', [caseId]);
    expect(n).toBe(1);
    const other = await stack.api(
      actors.broker(brokerId),
      'POST',
      `/v1/leads/${caseId}/contact-attempts`,
      { ...attempt, outcome: 'no_answer' },
      { 'idempotency-key': 'call-1' },
    );
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
  });

  test('a repeat of a request that died before storing its answer acts once: the workflow answers it from the first Update', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const { caseId, brokerId } = await followUp(ch.id);
    const attempt = { channel: 'phone', purpose: 'service', outcome: 'reached' };
    const path = `/v1/leads/${caseId}/contact-attempts`;
    const first = await stack.api(actors.broker(brokerId), 'POST', path, attempt, { 'idempotency-key': 'died-1' });
    expect(first.status).toBe(201);
    // As if the API process had died after the Update, before it stored the answer, long enough ago.
    const scope = `broker:${brokerId}:POST ${path}`;
    const [reset] = await stack.db.query(
      `WITH r AS (UPDATE idempotency_keys SET status_code = 0, response = 'null', created_at = now() - interval '10 minutes' WHERE scope = $1 AND key = 'died-1' RETURNING 1)
       SELECT count(*)::int AS n FROM r`,
      [scope],
    );
    expect(reset.n).toBe(1);

    const again = await stack.api(actors.broker(brokerId), 'POST', path, attempt, { 'idempotency-key': 'died-1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull(); // it ran again…
    expect(again.body.contactAttempts).toBe(first.body.contactAttempts); // …and the workflow gave the first Update's answer
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM contact_log WHERE case_id = $1', [caseId]);
    expect(n).toBe(1);
    const [stored] = await stack.db.query('SELECT status_code FROM idempotency_keys WHERE scope = $1 AND key = $2', [
      scope,
      'died-1',
    ]);
    expect(stored.status_code).toBe(201);
  });

  test('an abandoned key of a POST that is not a workflow action is never taken over: a filing or an API key must not happen twice', async () => {
    const ch = await aChannel(stack.db);
    const path = `/v1/channels/${ch.id}/api-keys`;
    const body = { label: 'partner prod' };
    await stack.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at)
       VALUES ($1, 'abandoned-1', encode(sha256(convert_to($2, 'UTF8')), 'hex'), 0, 'null', now() - interval '1 hour')`,
      [`admin:a1:POST ${path}`, JSON.stringify(body)],
    );
    const repeat = await stack.api(actors.admin(), 'POST', path, body, { 'idempotency-key': 'abandoned-1' });
    expect([repeat.status, repeat.body.code]).toEqual([409, 'request_in_progress']);
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM channel_api_keys WHERE channel_id = $1', [
      ch.id,
    ]);
    expect(n).toBe(0);
  });

  test('a repeat of issuing an API key gets its ID, never its secret, and the stored answer holds no secret', async () => {
    const ch = await aChannel(stack.db);
    const path = `/v1/channels/${ch.id}/api-keys`;
    const first = await stack.api(
      actors.admin(),
      'POST',
      path,
      { label: 'partner prod' },
      { 'idempotency-key': 'issue-1' },
    );
    expect(first.body.apiKey).toMatch(/^lck_/);
    const again = await stack.api(
      actors.admin(),
      'POST',
      path,
      { label: 'partner prod' },
      { 'idempotency-key': 'issue-1' },
    );
    expect([again.status, again.headers.get('idempotent-replayed'), again.body.keyId, again.body.apiKey]).toEqual([
      201,
      'true',
      first.body.keyId,
      null,
    ]);
    const [stored] = await stack.db.query(
      'SELECT response::text AS text FROM idempotency_keys WHERE scope = $1 AND key = $2',
      [`admin:a1:POST ${path}`, 'issue-1'],
    );
    expect(stored.text).not.toContain(first.body.apiKey.split('.')[1]);
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM channel_api_keys WHERE channel_id = $1', [
      ch.id,
    ]);
    expect(n).toBe(1);
  });

  test('a repeat while the first request may still be running is refused with 409, and does nothing', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const { caseId, brokerId } = await followUp(ch.id);
    const attempt = { channel: 'phone', purpose: 'service', outcome: 'reached' };
    const path = `/v1/leads/${caseId}/contact-attempts`;
    await stack.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response) VALUES ($1, 'running-1', encode(sha256(convert_to($2, 'UTF8')), 'hex'), 0, 'null')`,
      [`broker:${brokerId}:POST ${path}`, JSON.stringify(attempt)],
    );
    const repeat = await stack.api(actors.broker(brokerId), 'POST', path, attempt, { 'idempotency-key': 'running-1' });
    expect([repeat.status, repeat.body.code, repeat.body.retryable]).toEqual([409, 'request_in_progress', true]);
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM contact_log WHERE case_id = $1', [caseId]);
    expect(n).toBe(0);
  });
});
