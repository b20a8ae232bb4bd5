import { createHash } from 'node:crypto';
import { blindIndex } from '../../src/platform/crypto';
import { aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

const compliance = actors.compliance();
const risk = actors.risk();
const uniqueVersion = () => `t-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6)}`;
const NOTICE =
  '我们收集您的身份信息与收入信息，仅用于信用评估与向您选定的持牌机构推荐产品；拒绝授权将无法为您匹配产品。';

describe('consent notice versions', () => {
  test('compliance publishes a version once; everyone signed in reads it; a repeat is answered as the first; another text is refused and changes nothing', async () => {
    const version = uniqueVersion();
    const published = await stack.api(compliance, 'POST', '/v1/consent-notices', { version, text: NOTICE });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ version, contentHash: createHash('sha256').update(NOTICE).digest('hex') });

    const again = await stack.api(compliance, 'POST', '/v1/consent-notices', { version, text: NOTICE });
    expect([again.status, again.body]).toEqual([200, published.body]);
    const other = await stack.api(compliance, 'POST', '/v1/consent-notices', { version, text: `${NOTICE}（修订）` });
    expect([other.status, other.body.code]).toEqual([409, 'notice_version_exists']);

    const read = await stack.api(actors.channel(), 'GET', `/v1/consent-notices/${version}`);
    expect(read.body).toEqual({ ...published.body, text: NOTICE });
    const listed = await stack.api(actors.broker(), 'GET', '/v1/consent-notices');
    expect(listed.body.items).toContainEqual(published.body);
    expect((await stack.api(compliance, 'GET', '/v1/consent-notices/no-such-version')).body.code).toBe(
      'notice_not_found',
    );

    expect(
      (await stack.api(actors.manager(), 'POST', '/v1/consent-notices', { version: uniqueVersion(), text: NOTICE }))
        .status,
    ).toBe(403);
    expect(
      (await stack.api(compliance, 'POST', '/v1/consent-notices', { version: 'bad version!', text: NOTICE })).body.code,
    ).toBe('validation_failed');
    expect(
      (await stack.api(compliance, 'POST', '/v1/consent-notices', { version: uniqueVersion(), text: '太短' })).body
        .code,
    ).toBe('validation_failed');

    const audits = await stack.db.query(
      `SELECT details FROM audit_events WHERE action = 'consent_notice.published' AND target_id = $1`,
      [version],
    );
    expect(audits).toEqual([{ details: { contentHash: published.body.contentHash } }]);
  });

  test('a lead can consent to a newly published version, and not to one that was never published', async () => {
    const version = uniqueVersion();
    const ch = await aChannel(stack.db);
    const unknown = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: { noticeVersion: version, purposes: ['credit_assessment'] } }),
    );
    expect([unknown.status, unknown.body.code]).toEqual([422, 'unknown_notice_version']);
    await stack.api(compliance, 'POST', '/v1/consent-notices', { version, text: NOTICE });
    const known = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: { noticeVersion: version, purposes: ['credit_assessment'] } }),
    );
    expect(known.status).toBe(201);
    await eventually(async () => {
      const [c] = await stack.db.query(
        `SELECT notice_version FROM consents WHERE case_id = $1 AND purpose = 'credit_assessment'`,
        [known.body.caseId],
      );
      return c?.notice_version === version;
    }, 'the consent recorded against the new version');
  });
});

describe('the blacklist', () => {
  test('a risk officer lists a person; the pre-screen then declines their lead; check and removal work; nothing identifying reaches the audit trail', async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id });
    const person = { idNumber: lead.applicant.idNumber, phone: lead.applicant.phone };

    const added = await stack.api(risk, 'POST', '/v1/blacklist', {
      person: { idNumber: person.idNumber },
      reason: 'fraud_confirmed',
    });
    expect([added.status, added.body]).toEqual([200, { added: ['idNumber'], alreadyListed: [], raised: [] }]);
    // Stored as the keyed blind index intake computes, never the number.
    const key = Buffer.from(stack.cfg.BLIND_INDEX_KEY, 'base64');
    const [stored] = await stack.db.query('SELECT blind_index, reason FROM blacklist_entries WHERE blind_index = $1', [
      blindIndex('id', person.idNumber.toUpperCase(), key),
    ]);
    expect(stored).toEqual({
      blind_index: blindIndex('id', person.idNumber.toUpperCase(), key),
      reason: 'fraud_confirmed',
    });
    expect(stored.blind_index).not.toContain(person.idNumber);
    const twice = await stack.api(compliance, 'POST', '/v1/blacklist', { person, reason: 'court_order' });
    expect(twice.body).toEqual({ added: ['phone'], alreadyListed: ['idNumber'], raised: ['idNumber'] }); // a court order weighs more than fraud

    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
    await eventually(
      async () =>
        (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [body.caseId]))[0].stage === 'declined',
      'the blacklisted lead declined',
    );
    const [decision] = await stack.db.query(
      `SELECT rules_fired FROM decisions WHERE case_id = $1 AND kind = 'prescreen'`,
      [body.caseId],
    );
    expect(JSON.stringify(decision.rules_fired)).toContain('blacklisted');

    const checked = await stack.api(risk, 'POST', '/v1/blacklist/check', { person });
    expect(checked.body).toMatchObject({
      listed: true,
      entries: [
        { kind: 'idNumber', listed: true, reason: 'court_order' },
        { kind: 'phone', listed: true, reason: 'court_order' },
      ],
    });

    // An upheld appeal against a fraud finding does not lift a court order.
    const appeal = await stack.api(risk, 'POST', '/v1/blacklist/remove', { person, reason: 'appeal_upheld' });
    expect(appeal.body).toEqual({ removed: [], kept: ['idNumber', 'phone'], notListed: [] });
    const removed = await stack.api(compliance, 'POST', '/v1/blacklist/remove', { person, reason: 'court_order' });
    expect(removed.body).toEqual({ removed: ['idNumber', 'phone'], kept: [], notListed: [] });
    expect((await stack.api(risk, 'POST', '/v1/blacklist/check', { person })).body.listed).toBe(false);

    const trail = JSON.stringify(
      await stack.db.query(
        `SELECT details FROM audit_events WHERE action LIKE 'blacklist.%' AND actor_sub IN ('r1', 'c1') ORDER BY id DESC LIMIT 50`,
      ),
    );
    expect(trail).toContain('appeal_upheld');
    expect(trail).not.toContain(person.idNumber);
    expect(trail).not.toContain(person.phone);
    // Nothing about the requests was kept under an Idempotency-Key, not even a hash of the number.
    expect(await stack.db.query(`SELECT 1 FROM idempotency_keys WHERE scope LIKE '%/v1/blacklist%'`)).toEqual([]);
  });

  test('a phone alone on the list declines a lead with that phone and another ID number; the end of a self-exclusion lifts only a self-exclusion', async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id });
    await stack.api(
      risk,
      'POST',
      '/v1/blacklist',
      { person: { phone: lead.applicant.phone }, reason: 'customer_self_exclusion' },
      { 'idempotency-key': 'bl-1' },
    );
    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
    await eventually(
      async () =>
        (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [body.caseId]))[0].stage === 'declined',
      'the lead declined on its phone',
    );

    const fraud = await stack.api(risk, 'POST', '/v1/blacklist', {
      person: { phone: lead.applicant.phone },
      reason: 'fraud_confirmed',
    });
    expect(fraud.body).toEqual({ added: [], alreadyListed: ['phone'], raised: ['phone'] });
    const back = await stack.api(risk, 'POST', '/v1/blacklist', {
      person: { phone: lead.applicant.phone },
      reason: 'customer_self_exclusion',
    });
    expect(back.body.raised).toEqual([]); // a weaker reason never replaces a stronger one
    const ended = await stack.api(risk, 'POST', '/v1/blacklist/remove', {
      person: { phone: lead.applicant.phone },
      reason: 'self_exclusion_ended',
    });
    expect(ended.body).toEqual({ removed: [], kept: ['phone'], notListed: [] });
    expect(
      (await stack.api(risk, 'POST', '/v1/blacklist/check', { person: { phone: lead.applicant.phone } })).body
        .entries[0],
    ).toMatchObject({ listed: true, reason: 'fraud_confirmed' });
  });

  test('bad input is refused without echoing the number; other roles may not touch the list', async () => {
    const badId = '110101199001011234'; // wrong check digit
    const bad = await stack.api(risk, 'POST', '/v1/blacklist', {
      person: { idNumber: badId },
      reason: 'fraud_confirmed',
    });
    expect([bad.status, bad.body.code]).toEqual([422, 'validation_failed']);
    expect(JSON.stringify(bad.body)).not.toContain(badId);
    expect((await stack.api(risk, 'POST', '/v1/blacklist', { person: {}, reason: 'fraud_confirmed' })).body.code).toBe(
      'validation_failed',
    );
    expect(
      (await stack.api(risk, 'POST', '/v1/blacklist', { person: { phone: '13800000000' }, reason: 'he lied to me' }))
        .body.code,
    ).toBe('validation_failed');
    for (const actor of [actors.broker(), actors.manager(), actors.channel()]) {
      expect((await stack.api(actor, 'POST', '/v1/blacklist/check', { person: { phone: '13800000000' } })).status).toBe(
        403,
      );
    }
  });
});

describe('lender applications (多头借贷)', () => {
  test("a risk officer reports applications at four lenders; a repeat counts once; the person's lead then goes to manual review on the multi-lender rule", async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id });
    const idNumber = lead.applicant.idNumber;
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const applications = ['lender-x1', 'lender-x2', 'lender-x3', 'lender-x4'].map((lenderId, i) => ({
      idNumber,
      lenderId,
      appliedAt: daysAgo(10 + i),
    }));

    const first = await stack.api(risk, 'POST', '/v1/lender-applications', { applications });
    expect([first.status, first.body]).toEqual([200, { recorded: 4, duplicates: 0 }]);
    const again = await stack.api(actors.admin(), 'POST', '/v1/lender-applications', { applications });
    expect(again.body).toEqual({ recorded: 0, duplicates: 4 });
    const key = Buffer.from(stack.cfg.BLIND_INDEX_KEY, 'base64');
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM lender_applications WHERE id_index = $1', [
      blindIndex('id', idNumber.toUpperCase(), key),
    ]);
    expect(n).toBe(4);

    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
    await eventually(
      async () =>
        (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [body.caseId]))[0].stage ===
        'manual_review',
      'the lead in manual review',
    );
    const [decision] = await stack.db.query(
      `SELECT rules_fired FROM decisions WHERE case_id = $1 AND kind = 'prescreen'`,
      [body.caseId],
    );
    expect(JSON.stringify(decision.rules_fired)).toContain('multi_lender_applications');

    const trail = JSON.stringify(
      await stack.db.query(
        `SELECT details FROM audit_events WHERE action = 'lender_applications.recorded' ORDER BY id DESC LIMIT 20`,
      ),
    );
    expect(trail).toContain('lender-x4');
    expect(trail).not.toContain(idNumber);
  });

  test('an application in the future, a bad ID number and other roles are refused, and nothing is stored', async () => {
    const lead = aLead();
    const key = Buffer.from(stack.cfg.BLIND_INDEX_KEY, 'base64');
    const future = await stack.api(risk, 'POST', '/v1/lender-applications', {
      applications: [
        {
          idNumber: lead.applicant.idNumber,
          lenderId: 'lender-y',
          appliedAt: new Date(Date.now() + 86_400_000).toISOString(),
        },
      ],
    });
    expect(future.body.code).toBe('validation_failed');
    expect((await stack.api(risk, 'POST', '/v1/lender-applications', { applications: [] })).body.code).toBe(
      'validation_failed',
    );
    const forbidden = await stack.api(actors.broker(), 'POST', '/v1/lender-applications', {
      applications: [{ idNumber: lead.applicant.idNumber, lenderId: 'lender-y', appliedAt: new Date().toISOString() }],
    });
    expect(forbidden.status).toBe(403);
    expect(
      await stack.db.query('SELECT 1 FROM lender_applications WHERE id_index = $1', [
        blindIndex('id', lead.applicant.idNumber.toUpperCase(), key),
      ]),
    ).toEqual([]);
  });
});
