import { Writable } from 'node:stream';
import pino from 'pino';
import { keyringFrom, openForCase } from '../../src/platform/crypto';
import { rotateMasterKey } from '../../src/platform/db/rotate-master-key';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, openOwnerDatabase, startStack, type TestStack } from '../support/stack';

const logLines: string[] = [];
let stack: TestStack;
beforeAll(async () => {
  const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(chunk.toString()), done()) });
  stack = await startStack({ POLICY_FILE: noQuietHours() }, { logger: pino({ level: 'debug' }, sink) });
});
afterAll(async () => stack?.stop());

const stageOf = async (caseId: string) =>
  (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [caseId]))[0].stage;

/** Every text, JSON and binary value in every table of the database, as text. */
async function everythingInPostgres(): Promise<string> {
  const columns: { table_name: string; column_name: string; data_type: string }[] = await stack.db.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'bytea', 'ARRAY', 'character varying')`,
  );
  const parts: string[] = [];
  for (const c of columns) {
    const expr = c.data_type === 'bytea' ? `encode("${c.column_name}", 'escape')` : `"${c.column_name}"::text`;
    const rows: { v: string | null }[] = await stack.db.query(`SELECT ${expr} AS v FROM "${c.table_name}"`);
    for (const r of rows) if (r.v) parts.push(r.v);
  }
  return parts.join('\n');
}

describe('erasure and crypto-shredding', () => {
  test("after erasure no column of any table holds the person's name, ID number or phone, and a kept copy of the identity cannot be decrypted", async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const lead = aLead({ channelId: ch.id, applicant: { name: '赵钱孙' } });
    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
    await eventually(async () => (await stageOf(body.caseId)) === 'follow_up', 'follow_up');
    const broker = (await stack.db.query('SELECT broker_id FROM lead_cases WHERE id = $1', [body.caseId]))[0].broker_id;
    await stack.api(actors.broker(broker), 'POST', `/v1/leads/${body.caseId}/contact-attempts`, {
      channel: 'phone',
      purpose: 'service',
      outcome: 'reached',
      note: `called ${lead.applicant.phone}, asked for ${lead.applicant.name}`,
    });
    // A legal hold whose reason names the person, placed and released before the withdrawal.
    for (const hold of [true, false]) {
      const res = await stack.api(actors.compliance(), 'POST', `/v1/leads/${body.caseId}/legal-hold`, {
        hold,
        reason: `court file (2026) 0105-1234, ${lead.applicant.name}`,
      });
      expect(res.status).toBe(200);
    }
    const [backup] = await stack.db.query('SELECT sealed FROM identities WHERE case_id = $1', [body.caseId]); // e.g. a backup

    const before = await everythingInPostgres();
    expect(before).toContain(lead.applicant.phone); // the broker's note: personal data, until erasure
    expect(before).toContain(`0105-1234, ${lead.applicant.name}`); // the legal-hold reason, until erasure

    await stack.api(actors.channel(ch.id), 'POST', `/v1/leads/${body.caseId}/consents/withdraw`, {
      purposes: ['credit_assessment'],
    });
    await eventually(async () => (await stageOf(body.caseId)) === 'erased', 'erased');

    const after = await everythingInPostgres();
    for (const secret of [lead.applicant.name, lead.applicant.idNumber, lead.applicant.phone])
      expect(after).not.toContain(secret);

    const [key] = await stack.db.query('SELECT wrapped_key FROM lead_data_keys WHERE case_id = $1', [body.caseId]);
    expect(key).toBeUndefined();
    // Whatever copy of the sealed identity survives, the service holds no key that opens it.
    const ring = keyringFrom(stack.cfg.MASTER_KEY_ID, stack.cfg.MASTER_KEY);
    expect(() => openForCase(body.caseId, backup.sealed, Buffer.alloc(60), stack.cfg.MASTER_KEY_ID, ring)).toThrow();
  });

  test("the service's logs never contain the applicant's identity", async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id, applicant: { name: '孙李周' } });
    await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
    await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', {
      ...lead,
      applicant: { ...lead.applicant, idNumber: `${lead.applicant.idNumber.slice(0, 17)}0` },
    });
    expect(logLines.length).toBeGreaterThan(0);
    const logs = logLines.join('');
    for (const secret of [
      lead.applicant.name,
      lead.applicant.idNumber,
      lead.applicant.phone,
      lead.applicant.idNumber.slice(0, 17),
    ])
      expect(logs).not.toContain(secret);
  });
});

describe('master key rotation', () => {
  test('re-wraps every data key under the new master key; identities stay readable, with and then without the old key', async () => {
    const ch = await aChannel(stack.db);
    const { body } = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: null }),
    );
    const newKey = Buffer.alloc(32, 9).toString('base64');
    const ring = keyringFrom('rotated-2', newKey, `${stack.cfg.MASTER_KEY_ID}:${stack.cfg.MASTER_KEY}`);
    // Only this test's case: other test files share the database and its configured key.
    const { rewrapped } = await rotateMasterKey(stack.db, ring, { caseIds: [body.caseId] });
    expect(rewrapped).toBe(1);
    const [row] = await stack.db.query(
      'SELECT i.sealed, k.wrapped_key, k.master_key_id FROM identities i JOIN lead_data_keys k USING (case_id) WHERE case_id = $1',
      [body.caseId],
    );
    expect(row.master_key_id).toBe('rotated-2');
    const onlyNew = keyringFrom('rotated-2', newKey);
    expect(
      openForCase<{ name: string }>(body.caseId, row.sealed, row.wrapped_key, row.master_key_id, onlyNew).name,
    ).toBe('测试客户');
    expect((await rotateMasterKey(stack.db, ring, { caseIds: [body.caseId] })).rewrapped).toBe(0);
    await rotateMasterKey(stack.db, keyringFrom(stack.cfg.MASTER_KEY_ID, stack.cfg.MASTER_KEY, `rotated-2:${newKey}`), {
      caseIds: [body.caseId],
    });
  });
});

describe('consent ledger and marketing text', () => {
  test('a consent row can never be changed or deleted', async () => {
    const ch = await aChannel(stack.db);
    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    const [row] = await eventually(async () => {
      const r = await stack.db.query('SELECT id FROM consents WHERE case_id = $1', [body.caseId]);
      return r.length ? r : null;
    }, 'a consent row');
    // The service's role holds no UPDATE or DELETE on the ledger; its owner is stopped by the trigger.
    await expect(stack.db.query(`UPDATE consents SET purpose = 'marketing' WHERE id = $1`, [row.id])).rejects.toThrow(
      'permission denied',
    );
    await expect(stack.db.query('DELETE FROM consents WHERE id = $1', [row.id])).rejects.toThrow('permission denied');
    const owner = await openOwnerDatabase();
    try {
      await expect(owner.query(`UPDATE consents SET purpose = 'marketing' WHERE id = $1`, [row.id])).rejects.toThrow(
        'append-only',
      );
      await expect(owner.query('DELETE FROM consents WHERE id = $1', [row.id])).rejects.toThrow('append-only');
      await expect(owner.query('TRUNCATE consents')).rejects.toThrow('append-only');
    } finally {
      await owner.destroy();
    }
  });

  test('a marketing contact whose text breaks the advertising rules is refused with each violation', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const { body } = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: { noticeVersion: '2026-01', purposes: ['credit_assessment', 'marketing'] } }),
    );
    await eventually(async () => (await stageOf(body.caseId)) === 'follow_up', 'follow_up');
    const broker = (await stack.db.query('SELECT broker_id FROM lead_cases WHERE id = $1', [body.caseId]))[0].broker_id;
    const res = await stack.api(actors.broker(broker), 'POST', `/v1/leads/${body.caseId}/contact-attempts`, {
      channel: 'sms',
      purpose: 'marketing',
      outcome: 'reached',
      marketingText: '秒批！零门槛，低息贷款',
    });
    expect([res.status, res.body.code]).toEqual([422, 'marketing_text_violation']);
    expect(res.body.violations.map((v: any) => v.code)).toEqual(
      expect.arrayContaining(['promise_of_approval', 'unbacked_low_rate', 'apr_not_disclosed', 'risk_warning_missing']),
    );
    expect(await stack.db.query('SELECT 1 FROM contact_log WHERE case_id = $1', [body.caseId])).toEqual([]);
  });
});
