import { DEMO_LENDER_NOTICE_VERSION, DEMO_NOTICE_VERSION } from '../../src/modules/reference/demo-seed';
import { WHITELISTED_FIELDS } from '../../src/modules/lead/rules/lender-package';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { DEMO_LENDERS_NAMED, matchOf } from '../support/lender-sharing';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type TestStack } from '../support/stack';

/**
 * Before a case goes to a lender (金规〔2025〕9号, PIPL art. 23 and 29, 断直连): the customer's
 * acknowledgement of the product's cost disclosure and a consent naming the lender, each on record;
 * the lender package holds whitelisted facts only, and every read of it is audited.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ POLICY_FILE: noQuietHours() });
});
afterAll(async () => stack?.stop());

/**
 * A tier-A case in follow-up with its broker, and its first match with a demo lender (the demo
 * notice names those; other files' tests add lenders of their own that may rank first).
 */
async function followUpCase() {
  const ch = await aChannel(stack.db, { grade: 'premium' });
  await aBroker(stack.db, ch.team);
  const intake = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
  const caseId: string = intake.body.caseId;
  const row = await eventually(async () => {
    const [r] = await stack.db.query('SELECT stage, broker_id FROM lead_cases WHERE id = $1', [caseId]);
    return r?.stage === 'follow_up' && r.broker_id ? r : null;
  }, `case ${caseId} in follow-up`);
  const state = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/decision`);
  const matches: { productId: string }[] = state.body.decisions.find((d: any) => d.kind === 'match').matches;
  const all = await Promise.all(matches.map((m) => matchOf(stack, caseId, m.productId)));
  const match = all.find((m) => DEMO_LENDERS_NAMED.includes(m.lenderId));
  if (!match) throw new Error(`case ${caseId} has no match with a demo lender`);
  return { caseId, channel: actors.channel(ch.id), broker: actors.broker(row.broker_id), match };
}

const rowsOf = async (table: string, caseId: string) =>
  stack.db.query(`SELECT * FROM ${table} WHERE case_id = $1 ORDER BY id`, [caseId]);

describe('consent naming lenders, the cost acknowledgement, and the submission', () => {
  test('bad input is refused and records nothing; a submission needs both; the record shows both', async () => {
    const { caseId, broker, channel, match } = await followUpCase();
    const grant = (body: object) => stack.api(broker, 'POST', `/v1/leads/${caseId}/consents`, body);
    const acknowledge = (body: object) =>
      stack.api(broker, 'POST', `/v1/leads/${caseId}/cost-disclosure-acknowledgements`, body);
    const submit = () => stack.api(broker, 'POST', `/v1/leads/${caseId}/outcome`, { outcome: 'submitted' });
    const sharing = { noticeVersion: DEMO_LENDER_NOTICE_VERSION, purposes: ['lender_sharing'] };

    const refusals = [
      [await grant(sharing), 422, 'validation_failed'],
      [await grant({ ...sharing, lenderIds: ['lender-nobody'] }), 422, 'unknown_lender'],
      // The old notice names no lender: it cannot carry a consent to share with one.
      [
        await grant({ ...sharing, noticeVersion: DEMO_NOTICE_VERSION, lenderIds: [match.lenderId] }),
        422,
        'lender_not_in_notice',
      ],
      [await acknowledge({ productId: match.productId, disclosureHash: '0'.repeat(64) }), 409, 'cost_disclosure_stale'],
      [
        await acknowledge({ productId: 'prod-trust-c-high', disclosureHash: match.costDisclosure.disclosureHash }),
        422,
        'product_not_matched',
      ],
    ];
    for (const [res, status, code] of refusals as [any, number, string][])
      expect([res.status, res.body.code]).toEqual([status, code]);
    expect((await rowsOf('consents', caseId)).filter((r: any) => r.lender_id !== null)).toEqual([]);
    expect(await rowsOf('cost_disclosure_acknowledgements', caseId)).toEqual([]);

    await stack.api(broker, 'POST', `/v1/leads/${caseId}/selection`, { productId: match.productId });
    expect([(await submit()).status, (await submit()).body.code]).toEqual([422, 'cost_disclosure_not_acknowledged']);
    const acked = await acknowledge({
      productId: match.productId,
      disclosureHash: match.costDisclosure.disclosureHash,
    });
    expect(acked.status).toBe(201);
    expect(acked.body.costAcknowledgements[match.productId]).toMatchObject({
      disclosureHash: match.costDisclosure.disclosureHash,
      source: `broker:${broker.sub}`,
    });
    expect((await submit()).body.code).toBe('lender_consent_required');
    const granted = await grant({ ...sharing, lenderIds: [match.lenderId] });
    expect(granted.status).toBe(200);
    expect(granted.body.lenderConsents[match.lenderId]).toMatchObject({ granted: true, noticeVersion: '2026-12' });
    expect((await submit()).body.stage).toBe('submitted');

    // On record in Postgres, each with time, source and the hash or the notice version.
    const [consentRow] = (await rowsOf('consents', caseId)).filter((r: any) => r.lender_id !== null);
    expect(consentRow).toMatchObject({ purpose: 'lender_sharing', action: 'grant', lender_id: match.lenderId });
    expect(consentRow.notice_version).toBe(DEMO_LENDER_NOTICE_VERSION);
    const [ackRow] = await rowsOf('cost_disclosure_acknowledgements', caseId);
    expect(ackRow).toMatchObject({ product_id: match.productId, disclosure_hash: match.costDisclosure.disclosureHash });
    expect(ackRow.source).toBe(`broker:${broker.sub}`);

    // The explanation and the data-subject copy show both, with what the notice told the customer.
    for (const actor of [actors.compliance(), channel]) {
      const decision = await stack.api(actor, 'GET', `/v1/leads/${caseId}/decision`);
      expect(decision.body.lenderConsents).toEqual([
        expect.objectContaining({
          lenderId: match.lenderId,
          granted: true,
          noticeVersion: '2026-12',
          recipient: expect.objectContaining({ contact: expect.any(String), dataCategories: expect.any(Array) }),
        }),
      ]);
      expect(decision.body.costDisclosureAcknowledgements).toEqual([
        expect.objectContaining({ productId: match.productId, disclosureHash: match.costDisclosure.disclosureHash }),
      ]);
    }
    const exported = await stack.api(actors.compliance(), 'GET', `/v1/leads/${caseId}/export`);
    expect(exported.body.lenderConsents[0]).toMatchObject({ lenderId: match.lenderId, granted: true });
    expect(exported.body.costDisclosureAcknowledgements[0]).toMatchObject({ productId: match.productId });
    expect(exported.body.consents).toEqual(
      expect.arrayContaining([expect.objectContaining({ purpose: 'lender_sharing', lenderId: match.lenderId })]),
    );
  });
});

describe('the lender package (断直连)', () => {
  test('whitelisted facts only, audited, refused without consent, and stopped by withdrawing that lender', async () => {
    const { caseId, broker, channel, match } = await followUpCase();
    const pkg = (lenderId: string, actor = broker) =>
      stack.api(actor, 'GET', `/v1/leads/${caseId}/lender-package?lenderId=${lenderId}`);
    expect((await pkg(match.lenderId)).body.code).toBe('lender_consent_required');

    await stack.api(broker, 'POST', `/v1/leads/${caseId}/consents`, {
      noticeVersion: DEMO_LENDER_NOTICE_VERSION,
      purposes: ['lender_sharing'],
      lenderIds: [match.lenderId, 'lender-mfc-e'],
    });
    const before = await pkg(match.lenderId);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ lenderId: match.lenderId, sent: false });
    expect(before.body.fields).toMatchObject({ name: '测试客户', occupation: 'salaried', amountCny: 100_000 });
    for (const key of Object.keys(before.body.fields)) expect(WHITELISTED_FIELDS).toContain(key);
    const text = JSON.stringify(before.body);
    for (const banned of ['tier', 'riskTier', 'rulesFired', 'dti', 'fraud', 'blacklist', 'deviceId', 'ip"', 'dev-'])
      expect(text).not.toContain(banned);

    const [audit] = await stack.db.query(
      `SELECT actor_sub, details FROM audit_events WHERE action = 'lender_package.read' AND target_id = $1 ORDER BY id`,
      [caseId],
    );
    expect(audit.actor_sub).toBe(broker.sub);
    expect(audit.details).toMatchObject({ lenderId: match.lenderId, noticeVersion: DEMO_LENDER_NOTICE_VERSION });
    expect(audit.details.fields).toEqual(expect.arrayContaining(['name', 'idNumber', 'phone']));
    expect(JSON.stringify(audit.details)).not.toContain('测试客户');

    // Compliance reads it too; a channel and a manager do not.
    expect((await pkg(match.lenderId, actors.compliance())).status).toBe(200);
    expect((await pkg(match.lenderId, channel)).status).toBe(403);
    expect((await pkg(match.lenderId, actors.manager())).status).toBe(403);

    // Withdrawing one lender's consent stops sharing with it; the other's stands.
    const withdrawn = await stack.api(broker, 'POST', `/v1/leads/${caseId}/consents/withdraw`, {
      purposes: ['lender_sharing'],
      lenderIds: [match.lenderId],
    });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.lenderConsents[match.lenderId].granted).toBe(false);
    expect((await pkg(match.lenderId)).body.code).toBe('lender_consent_required');
    expect((await pkg('lender-mfc-e')).status).toBe(200);
    const mixed = await stack.api(broker, 'POST', `/v1/leads/${caseId}/consents/withdraw`, {
      purposes: ['lender_sharing', 'marketing'],
      lenderIds: ['lender-mfc-e'],
    });
    expect([mixed.status, mixed.body.code]).toEqual([422, 'validation_failed']);
  });
});

describe('consent notices that name lenders', () => {
  test('a recipient the text does not name with its contact, or an unknown lender, is refused', async () => {
    const version = `t-${Date.now()}`;
    const recipient = {
      lenderId: 'lender-bank-a',
      lenderName: '[DEMO] 城市商业银行A',
      contact: 'privacy@bank-a.example',
      purpose: '审核借款申请',
      method: '加密接口传输',
      dataCategories: ['identity', 'loan_request'],
    };
    const text = '个人信息处理告知书: 我们向 [DEMO] 城市商业银行A 提供您的身份与借款申请信息。';
    const publish = (body: object) => stack.api(actors.compliance(), 'POST', '/v1/consent-notices', body);
    const unnamed = await publish({ version, text, recipients: [recipient] });
    expect([unnamed.status, unnamed.body.code]).toEqual([422, 'notice_recipient_not_named']);
    const unknown = await publish({
      version,
      text: `${text} privacy@x`,
      recipients: [{ ...recipient, lenderId: 'lender-nobody', contact: 'privacy@x' }],
    });
    expect([unknown.status, unknown.body.code]).toEqual([422, 'unknown_lender']);
    const ok = await publish({ version, text: `${text} 联系方式 privacy@bank-a.example`, recipients: [recipient] });
    expect(ok.status).toBe(201);
    const read = await stack.api(actors.compliance(), 'GET', `/v1/consent-notices/${version}`);
    expect(read.body.recipients).toEqual([recipient]);
  });
});
