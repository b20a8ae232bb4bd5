import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type TestStack } from '../support/stack';
import { readyToSubmit } from '../support/lender-sharing';

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
    const chosen = (await stack.api(actors.compliance(), 'GET', `/v1/leads/${a.caseId}/decision`)).body.decisions[1]
      .matches[0].productId;
    await stack.api(actors.broker(a.brokerId), 'POST', `/v1/leads/${a.caseId}/selection`, { productId: chosen });
    await readyToSubmit(stack, actors.broker(a.brokerId), a.caseId, chosen);
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
  const listedLender = (id: string) => ({
    id,
    name: 'Test bank',
    licenceNo: 'T-1',
    licensed: true,
    type: 'bank',
    partnerListing: { listed: true, since: '2025-10-01', until: null, reference: 'TEST-名单-1' },
  });
  const aMatrixProduct = (id: string, lenderId: string) => ({
    id,
    lenderId,
    name: 'cheap',
    repayment: 'equal_instalment',
    nominalAprPct: 4,
    fees: [],
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
  });

  test('an admin adds a product; one whose fees put the all-in cost above the cap is stored but never matched', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    await aBroker(stack.db, ch.team);
    const lender = listedLender(`lender-${Date.now()}`);
    expect((await stack.api(actors.admin(), 'POST', '/v1/lenders', lender)).status).toBe(201);
    expect(
      (await stack.api(actors.admin(), 'POST', '/v1/lenders', { ...lender, name: 'Test bank (renamed)' })).status,
    ).toBe(200);
    const product = aMatrixProduct(`prod-${Date.now()}`, lender.id);
    // Nominal 18 %, under the cap; a 1 % monthly guarantee fee takes the all-in cost far above it.
    const overCap = {
      ...product,
      id: `${product.id}-x`,
      nominalAprPct: 18,
      fees: [{ name: '担保费', payee: 'guarantor', basis: 'monthly_pct_of_principal', value: 1 }],
    };
    expect((await stack.api(actors.admin(), 'POST', '/v1/products', product)).status).toBe(201);
    expect((await stack.api(actors.admin(), 'POST', '/v1/products', overCap)).status).toBe(201);
    const invalid = await stack.api(actors.admin(), 'POST', '/v1/products', {
      ...product,
      amountMin: 9000,
      amountMax: 4,
    });
    expect(invalid.status).toBe(422);
    const orphan = await stack.api(actors.admin(), 'POST', '/v1/products', {
      ...product,
      id: 'prod-orphan',
      lenderId: 'no-such-lender',
    });
    expect([orphan.status, orphan.body.code]).toEqual([422, 'unknown_lender']);
    const listed = (await stack.api(actors.admin(), 'GET', '/v1/products')).body.items.find(
      (p: any) => p.id === overCap.id,
    );
    expect(listed).toMatchObject({ repayment: 'equal_instalment', nominalAprPct: 18, fees: overCap.fees });

    const { caseId } = await followUp(ch.id);
    const decision = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/decision`);
    const match = decision.body.decisions.find((d: any) => d.kind === 'match');
    const matched = match.matches.map((m: any) => m.productId);
    expect(matched[0]).toBe(product.id); // the lowest all-in cost for a tier-A case ranks first
    expect(match.matches[0]).toMatchObject({ allInAprPct: 4, costDisclosure: { allInAprPct: 4, nominalAprPct: 4 } });
    expect(match.matches[0].costDisclosure.disclosureHash).toMatch(/^[0-9a-f]{64}$/);
    expect(matched).not.toContain(overCap.id);
    const excluded = match.excludedProducts.find((e: any) => e.productId === overCap.id);
    expect(excluded.reasons).toEqual(['all_in_cost_above_cap']);
    expect(excluded.allInAprPct).toBeGreaterThan(24);
  });

  test('a lender that does not list us, or whose listing lapsed, is never matched; a lapse after matching stops the choice and the submission', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    await aBroker(stack.db, ch.team);
    const stamp = Date.now();
    const unlisted = { ...listedLender(`lender-unl-${stamp}`), partnerListing: { listed: false } };
    const lapsed = {
      ...listedLender(`lender-lap-${stamp}`),
      partnerListing: { listed: true, since: '2025-10-01', until: '2026-01-31', reference: 'TEST-名单-2' },
    };
    const listed = listedLender(`lender-ok-${stamp}`);
    for (const l of [unlisted, lapsed, listed]) {
      expect((await stack.api(actors.admin(), 'POST', '/v1/lenders', l)).status).toBe(201);
    }
    const products = [unlisted, lapsed, listed].map((l) => aMatrixProduct(`prod-${l.id}`, l.id));
    for (const p of products) expect((await stack.api(actors.admin(), 'POST', '/v1/products', p)).status).toBe(201);

    const { caseId, brokerId } = await followUp(ch.id);
    const decision = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/decision`);
    const match = decision.body.decisions.find((d: any) => d.kind === 'match');
    const excluded = Object.fromEntries(match.excludedProducts.map((e: any) => [e.productId, e.reasons]));
    expect(excluded[products[0]!.id]).toEqual(['not_on_partner_list']);
    expect(excluded[products[1]!.id]).toEqual(['not_on_partner_list']);
    expect(match.matches.map((m: any) => m.productId)).toContain(products[2]!.id);

    // The lender takes us off its list after the match: the broker can neither choose it nor submit to it.
    const broker = actors.broker(brokerId);
    const choose = () => stack.api(broker, 'POST', `/v1/leads/${caseId}/selection`, { productId: products[2]!.id });
    expect((await choose()).status).toBe(200);
    const delisted = { ...listed, partnerListing: { ...listed.partnerListing, until: '2026-01-31' } };
    expect((await stack.api(actors.admin(), 'POST', '/v1/lenders', delisted)).status).toBe(200);
    const submit = await stack.api(broker, 'POST', `/v1/leads/${caseId}/outcome`, { outcome: 'submitted' });
    expect([submit.status, submit.body.code]).toEqual([422, 'lender_not_on_partner_list']);
    expect([(await choose()).status, (await choose()).body.code]).toEqual([422, 'lender_not_on_partner_list']);
    const [row] = await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [caseId]);
    expect(row.stage).toBe('follow_up');
  });

  test('bad lenders and products get a clear 422 and change nothing', async () => {
    const stamp = Date.now();
    const lender = listedLender(`lender-bad-${stamp}`);
    const backwards = {
      ...lender,
      partnerListing: { ...lender.partnerListing, since: '2026-06-01', until: '2026-01-01' },
    };
    const res = await stack.api(actors.admin(), 'POST', '/v1/lenders', backwards);
    expect([res.status, res.body.errors?.[0]?.path]).toEqual([422, 'partnerListing.until']);
    const noStart = { ...lender, partnerListing: { listed: true } };
    expect((await stack.api(actors.admin(), 'POST', '/v1/lenders', noStart)).status).toBe(422);
    const badType = { ...lender, type: 'pawnshop' };
    expect((await stack.api(actors.admin(), 'POST', '/v1/lenders', badType)).status).toBe(422);
    expect(await stack.db.query('SELECT 1 FROM lenders WHERE id = $1', [lender.id])).toEqual([]);

    expect((await stack.api(actors.admin(), 'POST', '/v1/lenders', lender)).status).toBe(201);
    const product = aMatrixProduct(`prod-bad-${stamp}`, lender.id);
    const fee = { name: '服务费', basis: 'upfront_pct_of_principal', value: 1 };
    const toUs = await stack.api(actors.admin(), 'POST', '/v1/products', {
      ...product,
      fees: [{ ...fee, payee: 'platform' }],
    });
    expect([toUs.status, toUs.body.code]).toEqual([422, 'borrower_fee_to_platform']);
    const unknownPayee = await stack.api(actors.admin(), 'POST', '/v1/products', {
      ...product,
      fees: [{ ...fee, payee: 'consultant' }],
    });
    expect([unknownPayee.status, unknownPayee.body.errors?.[0]?.path]).toEqual([422, 'fees.0.payee']);
    // A 2,000 CNY upfront fee on a 1,000 CNY loan leaves nothing received: no IRR exists.
    const undefinedCost = await stack.api(actors.admin(), 'POST', '/v1/products', {
      ...product,
      fees: [{ name: '服务费', payee: 'lender', basis: 'flat_upfront', value: 2000 }],
    });
    expect([undefinedCost.status, undefinedCost.body.code]).toEqual([422, 'all_in_cost_undefined']);
    expect(await stack.db.query('SELECT 1 FROM products WHERE id = $1', [product.id])).toEqual([]);
    const audited = await stack.db.query(
      `SELECT 1 FROM audit_events WHERE target_type = 'product' AND target_id = $1`,
      [product.id],
    );
    expect(audited).toEqual([]);
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
