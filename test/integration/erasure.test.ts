import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { EraseInput } from '../../src/modules/lead/activities/contract';
import {
  eraseCase,
  eraseCases,
  ErasureGroupCommit,
  erasureGroupCommitFor,
  type CaseErasure,
} from '../../src/modules/lead/activities/erasure';
import { createLeadActivities } from '../../src/modules/lead/activities/case';
import { auditMac } from '../../src/platform/audit/hash';
import { auditKeyring } from '../../src/platform/audit/keyring';
import { appendAudit, appendAuditMany } from '../../src/platform/audit/log';
import { verifyAuditChain } from '../../src/platform/audit/verify';
import { amountBand } from '../../src/modules/lead/rules/deidentify';
import { attachContactNote, attachDecisionReason } from '../../src/modules/lead/service/cases';
import { aMissingCaseId, casesWithPersonalData } from '../support/erasable-cases';
import { eventually, startStack, type TestStack } from '../support/stack';
import { SWEEP_LOCK_WAIT_MS, takeSweepLock } from '../support/sweep-lock';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({}, { worker: false });
});
afterAll(async () => stack?.stop());

const activities = () => createLeadActivities({ db: stack.db, policy: stack.cfg.policy });
const erasure = (
  caseId: string,
  at = new Date().toISOString(),
  reason: EraseInput['reason'] = 'consent_withdrawn',
): EraseInput => ({
  caseId,
  eventId: `erase:${caseId}`,
  reason,
  at,
});
const count = async (sql: string, ids: string[]) => (await stack.db.query(sql, [ids]))[0].n as number;

/** What the erasure records should hold for a case made by casesWithPersonalData, and its evidence hash. */
async function expectedEvidence(caseId: string, reason: string, at: string) {
  const [c] = await stack.db.query('SELECT channel_id FROM lead_cases WHERE id = $1', [caseId]);
  const facts = {
    ageBand: '30-39',
    regionPrefix: '1101',
    amountBand: '100k-200k',
    tier: 'A',
    outcome: 'lost',
    channelId: c.channel_id,
  };
  return {
    facts,
    evidenceHash: createHash('sha256')
      .update(JSON.stringify([caseId, reason, at, facts]))
      .digest('hex'),
  };
}

describe('eraseLeadData on Postgres', () => {
  // Some of these cases are past their retention: a sweep running meanwhile in another file would take them.
  let releaseSweeps: () => Promise<void>;
  beforeAll(async () => {
    releaseSweeps = await takeSweepLock(stack.db);
  }, SWEEP_LOCK_WAIT_MS);
  afterAll(async () => releaseSweeps?.());
  test('many concurrent erasures, each case asked twice, erase every case exactly once, with one erasure record and one audit row each', async () => {
    const ids = await casesWithPersonalData(stack.db, 120);
    const at = new Date().toISOString();
    const before = erasureGroupCommitFor(stack.db).stats();

    const calls = [...ids, ...ids].map((id) => activities().eraseLeadData(erasure(id, at)));
    const results = await Promise.all(calls);

    ids.forEach((id, i) => expect([results[i].erased, results[i + ids.length].erased].sort()).toEqual([false, true]));
    const after = erasureGroupCommitFor(stack.db).stats();
    expect(after.batches - before.batches).toBeLessThan(ids.length); // they shared transactions

    expect(await count('SELECT count(*)::int AS n FROM identities WHERE case_id = ANY($1::uuid[])', ids)).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM lead_data_keys WHERE case_id = ANY($1::uuid[])', ids)).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM credit_facts WHERE case_id = ANY($1::uuid[])', ids)).toBe(0);
    expect(
      await count(
        'SELECT count(*)::int AS n FROM contact_log WHERE case_id = ANY($1::uuid[]) AND note IS NOT NULL',
        ids,
      ),
    ).toBe(0);
    expect(
      await count(
        'SELECT count(*)::int AS n FROM legal_hold_events WHERE case_id = ANY($1::uuid[]) AND reason IS NOT NULL',
        ids,
      ),
    ).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM legal_hold_events WHERE case_id = ANY($1::uuid[])', ids)).toBe(
      ids.length,
    );
    const decisions = await stack.db.query('SELECT result FROM decisions WHERE case_id = ANY($1::uuid[])', [ids]);
    expect(decisions).toHaveLength(ids.length);
    for (const d of decisions) expect(d.result).toEqual({ note: 'kept' });

    const cases = await stack.db.query(
      'SELECT id, id_index, phone_index, device_index, age_at_intake, region_mismatches, is_open, erased_at, age_band FROM lead_cases WHERE id = ANY($1::uuid[])',
      [ids],
    );
    for (const c of cases) {
      expect(c).toMatchObject({
        id_index: null,
        phone_index: null,
        device_index: null,
        age_at_intake: null,
        region_mismatches: [],
        is_open: false,
        age_band: '30-39',
      });
      expect(new Date(c.erased_at).toISOString()).toBe(at);
    }

    const records = await stack.db.query(
      'SELECT case_id, reason, erased_at, evidence_hash, facts FROM erasure_records WHERE case_id = ANY($1::uuid[])',
      [ids],
    );
    expect(records).toHaveLength(ids.length);
    const audits = await stack.db.query(
      `SELECT target_id, details FROM audit_events WHERE action = 'lead.erased' AND target_id = ANY($1::text[])`,
      [ids],
    );
    expect(audits).toHaveLength(ids.length);
    for (const id of ids) {
      const { facts, evidenceHash } = await expectedEvidence(id, 'consent_withdrawn', at);
      const record = records.find((r: { case_id: string }) => r.case_id === id);
      expect(record).toMatchObject({ reason: 'consent_withdrawn', evidence_hash: evidenceHash, facts });
      expect(new Date(record.erased_at).toISOString()).toBe(at);
      expect(audits.filter((a: { target_id: string }) => a.target_id === id)).toEqual([
        { target_id: id, details: { reason: 'consent_withdrawn', evidenceHash } },
      ]);
    }
    expect(await verifyAuditChain(stack.db.manager)).toBeNull();
  });

  test('with two lanes, two batches run at once on two connections and every case is still erased exactly once', async () => {
    const ids = await casesWithPersonalData(stack.db, 80);
    const at = new Date().toISOString();
    // Each batch waits (at most 5 s) for the other to start: on busy cores the first could otherwise end before the second begins.
    let started = 0;
    let bothStarted!: () => void;
    const together = new Promise<void>((resolve) => (bothStarted = resolve));
    const twoLanes = new ErasureGroupCommit(
      async (inputs) => {
        if (++started === 2) bothStarted();
        await Promise.race([together, new Promise((resolve) => setTimeout(resolve, 5_000))]);
        return eraseCases(stack.db, inputs);
      },
      { lanes: 2, splitAt: 20 },
    );
    const results = await Promise.all([...ids, ...ids].map((id) => twoLanes.erase(erasure(id, at))));
    expect(twoLanes.stats().peakInFlight).toBe(2);
    ids.forEach((id, i) => expect([results[i].erased, results[i + ids.length].erased].sort()).toEqual([false, true]));
    expect(await count('SELECT count(*)::int AS n FROM erasure_records WHERE case_id = ANY($1::uuid[])', ids)).toBe(
      ids.length,
    );
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'lead.erased' AND target_id = ANY($1::text[])`,
        ids,
      ),
    ).toBe(ids.length);
    expect(await count('SELECT count(*)::int AS n FROM identities WHERE case_id = ANY($1::uuid[])', ids)).toBe(0);
  });

  test('a case that does not exist fails only its own caller; the cases in its batch are erased', async () => {
    const ids = await casesWithPersonalData(stack.db, 4);
    const missing = aMissingCaseId();
    const before = erasureGroupCommitFor(stack.db).stats();

    // Made in one turn: they go together in one batch.
    const inputs = [ids[0], ids[1], missing, ids[2], 'not-a-case-id', ids[3]];
    const outcomes = await Promise.allSettled(inputs.map((id) => activities().eraseLeadData(erasure(id))));
    expect(erasureGroupCommitFor(stack.db).stats().batches - before.batches).toBe(1);

    for (const [i, id] of inputs.entries()) {
      const outcome = outcomes[i];
      if (ids.includes(id)) {
        expect(outcome).toEqual({ status: 'fulfilled', value: { erased: true } });
      } else {
        expect(outcome.status).toBe('rejected');
        const reason = (outcome as PromiseRejectedResult).reason;
        expect(reason).toBeInstanceOf(ApplicationFailure);
        expect(reason).toMatchObject({ type: 'case_not_found', nonRetryable: true });
      }
    }
    expect(await count('SELECT count(*)::int AS n FROM erasure_records WHERE case_id = ANY($1::uuid[])', ids)).toBe(
      ids.length,
    );
    expect(await count('SELECT count(*)::int AS n FROM identities WHERE case_id = ANY($1::uuid[])', ids)).toBe(0);
  });

  test('erasing an erased case again changes nothing: same record, same erasure time, no second audit row', async () => {
    const ids = await casesWithPersonalData(stack.db, 3);
    const firstAt = new Date(Date.now() - 60_000).toISOString();
    expect(await Promise.all(ids.map((id) => activities().eraseLeadData(erasure(id, firstAt))))).toEqual(
      ids.map(() => ({ erased: true })),
    );
    const snapshot = async () => ({
      records: await stack.db.query(
        'SELECT case_id, reason, erased_at, evidence_hash FROM erasure_records WHERE case_id = ANY($1::uuid[]) ORDER BY case_id',
        [ids],
      ),
      cases: await stack.db.query(
        'SELECT id, erased_at, updated_at FROM lead_cases WHERE id = ANY($1::uuid[]) ORDER BY id',
        [ids],
      ),
      audits: await count(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'lead.erased' AND target_id = ANY($1::text[])`,
        ids,
      ),
    });
    const once = await snapshot();

    const again = await Promise.all(
      ids.map((id) => activities().eraseLeadData(erasure(id, new Date().toISOString(), 'retention_expired'))),
    );
    expect(again).toEqual(ids.map(() => ({ erased: false })));
    expect(
      await eraseCases(
        stack.db,
        ids.map((id) => erasure(id)),
      ),
    ).toEqual(ids.map(() => ({ erased: false })));
    expect(await snapshot()).toEqual(once);
    expect(once.audits).toBe(ids.length);
  });

  test('eraseCases answers each case of a set in order, the same case twice erased once, a missing case as not found', async () => {
    const [a, b] = await casesWithPersonalData(stack.db, 2);
    const missing = aMissingCaseId();
    expect(await eraseCases(stack.db, [erasure(b), erasure(missing), erasure(a), erasure(b)])).toEqual([
      { erased: true },
      { notFound: true },
      { erased: true },
      { erased: false },
    ]);
    expect(await count('SELECT count(*)::int AS n FROM erasure_records WHERE case_id = ANY($1::uuid[])', [a, b])).toBe(
      2,
    );
  });

  test('sets erased at once in several transactions, overlapping and in opposite orders, neither deadlock nor erase a case twice', async () => {
    const ids = await casesWithPersonalData(stack.db, 40);
    const at = new Date().toISOString();
    const forward = ids.slice(0, 30);
    const backward = ids.slice(10).reverse();
    const middle = ids.slice(5, 35);
    const [a, b, c] = await Promise.all(
      [forward, backward, middle].map((set) =>
        eraseCases(
          stack.db,
          set.map((id) => erasure(id, at)),
        ),
      ),
    );
    // Every case erased by exactly one of the sets that named it.
    for (const id of ids) {
      const erasedBy = [
        [forward, a],
        [backward, b],
        [middle, c],
      ].filter(([set, results]) => {
        const i = (set as string[]).indexOf(id);
        const result = i >= 0 ? (results as CaseErasure[])[i] : undefined;
        return result !== undefined && 'erased' in result && result.erased;
      });
      expect(erasedBy).toHaveLength(1);
    }
    expect(await count('SELECT count(*)::int AS n FROM erasure_records WHERE case_id = ANY($1::uuid[])', ids)).toBe(
      ids.length,
    );
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_events WHERE action = 'lead.erased' AND target_id = ANY($1::text[])`,
        ids,
      ),
    ).toBe(ids.length);
    expect(await count('SELECT count(*)::int AS n FROM identities WHERE case_id = ANY($1::uuid[])', ids)).toBe(0);
    expect(await verifyAuditChain(stack.db.manager)).toBeNull();
  });

  test('the record and evidence hash built in SQL are what JavaScript builds: every amount band edge, no tier or outcome, an upper-case ID', async () => {
    const amounts = [1, 49_999, 50_000, 99_999, 100_000, 199_999, 200_000, 299_999, 300_000, 5_000_000];
    const ids = await casesWithPersonalData(stack.db, amounts.length);
    await stack.db.query(
      `UPDATE lead_cases c SET amount_cny = a.amount, risk_tier = NULL, outcome = NULL FROM unnest($1::uuid[], $2::int[]) AS a(id, amount) WHERE c.id = a.id`,
      [ids, amounts],
    );
    const given = ids.map((id, i) => (i === 0 ? id.toUpperCase() : id));
    const at = new Date().toISOString();
    expect(
      await eraseCases(
        stack.db,
        given.map((id) => erasure(id, at, 'retention_expired')),
      ),
    ).toEqual(ids.map(() => ({ erased: true })));

    const records = await stack.db.query(
      'SELECT case_id, evidence_hash, facts FROM erasure_records WHERE case_id = ANY($1::uuid[])',
      [ids],
    );
    const [{ channel_id: channelId }] = await stack.db.query('SELECT channel_id FROM lead_cases WHERE id = $1', [
      ids[0],
    ]);
    for (const [i, id] of ids.entries()) {
      const facts = {
        ageBand: '30-39',
        regionPrefix: '1101',
        amountBand: amountBand(amounts[i]),
        tier: null,
        outcome: null,
        channelId,
      };
      const record = records.find((r: { case_id: string }) => r.case_id === id);
      expect(record.facts).toEqual(facts);
      expect(record.evidence_hash).toBe(
        createHash('sha256')
          .update(JSON.stringify([given[i], 'retention_expired', at, facts]))
          .digest('hex'),
      );
    }
    const [audit] = await stack.db.query(
      `SELECT target_id FROM audit_events WHERE action = 'lead.erased' AND target_id = $1`,
      [given[0]],
    );
    expect(audit).toEqual({ target_id: given[0] });
    expect(await verifyAuditChain(stack.db.manager)).toBeNull();
  });

  test('a reason committed while the erasure waited for the case lock is cleared with the rest', async () => {
    const [id] = await casesWithPersonalData(stack.db, 1);
    // Another transaction holds the case row (as recordLegalHold does) and writes a reason naming the person.
    const other = stack.db.createQueryRunner();
    await other.connect();
    await other.startTransaction();
    let erasing: Promise<CaseErasure[]> | undefined;
    try {
      const [{ pid }] = await other.query('SELECT pg_backend_pid() AS pid');
      await other.query('SELECT 1 FROM lead_cases WHERE id = $1 FOR SHARE', [id]);
      await other.query(
        `INSERT INTO legal_hold_events (case_id, hold, reason, actor) VALUES ($1, false, '释放：王五案已结', 'compliance:c1')`,
        [id],
      );
      erasing = eraseCases(stack.db, [erasure(id)]);
      await eventually(async () => {
        const [w] = await stack.db.query(
          'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
          [pid],
        );
        return w.n > 0;
      }, 'the erasure to wait for the case lock');
      await other.commitTransaction();
    } finally {
      if (other.isTransactionActive) await other.rollbackTransaction();
      await other.release();
    }
    expect(await erasing).toEqual([{ erased: true }]);
    expect(
      await count(
        'SELECT count(*)::int AS n FROM legal_hold_events WHERE case_id = ANY($1::uuid[]) AND reason IS NOT NULL',
        [id],
      ),
    ).toBe(0);
  });

  test("the audit append comes after every change: while the chain's lock is taken elsewhere, the erasure has already removed the identity", async () => {
    const [id] = await casesWithPersonalData(stack.db, 1);
    const chainHolder = stack.db.createQueryRunner();
    await chainHolder.connect();
    await chainHolder.startTransaction();
    let erasing: Promise<CaseErasure[]> | undefined;
    try {
      await chainHolder.query('SELECT pg_advisory_xact_lock(4242001)'); // the audit chain's lock (migration 1764300000000)
      erasing = eraseCases(stack.db, [erasure(id)]);
      // The erasure's delete holds the identity row before it waits for the chain: a lock attempt on it fails at once.
      await eventually(async () => {
        const probe = stack.db.createQueryRunner();
        await probe.connect();
        try {
          await probe.startTransaction();
          await probe.query('SELECT 1 FROM identities WHERE case_id = $1 FOR UPDATE NOWAIT', [id]);
          return false;
        } catch (err) {
          return (err as { code?: string }).code === '55P03'; // lock_not_available
        } finally {
          if (probe.isTransactionActive) await probe.rollbackTransaction();
          await probe.release();
        }
      }, "the erasure's delete to hold the identity while the chain's lock is taken");
    } finally {
      await chainHolder.commitTransaction();
      await chainHolder.release();
    }
    expect(await erasing).toEqual([{ erased: true }]);
    expect(await verifyAuditChain(stack.db.manager)).toBeNull();
  });

  test("a sweep erases only what is still due and not on hold once the case is locked; a workflow's own erasure is not held back", async () => {
    const dayAgo = new Date(Date.now() - 86_400_000);
    const [due, heldSince, notDueAnyMore, workflowHeld] = await casesWithPersonalData(stack.db, 4, {
      retentionDueAt: dayAgo,
    });
    // Chosen by a sweep, then changed before its erasure ran: put on hold, or given a later retention date.
    await stack.db.query('UPDATE lead_cases SET legal_hold = true WHERE id = ANY($1::uuid[])', [
      [heldSince, workflowHeld],
    ]);
    await stack.db.query(`UPDATE lead_cases SET retention_due_at = now() + interval '1 year' WHERE id = $1`, [
      notDueAnyMore,
    ]);
    const at = new Date().toISOString();
    const sweep = (id: string) => erasure(id, at, 'retention_sweep');
    expect(
      await eraseCases(stack.db, [sweep(due), sweep(heldSince), sweep(notDueAnyMore), erasure(workflowHeld, at)]),
    ).toEqual([{ erased: true }, { erased: false }, { erased: false }, { erased: true }]);
    expect(
      await count('SELECT count(*)::int AS n FROM identities WHERE case_id = ANY($1::uuid[])', [
        heldSince,
        notDueAnyMore,
      ]),
    ).toBe(2);
    expect(
      await count('SELECT count(*)::int AS n FROM erasure_records WHERE case_id = ANY($1::uuid[])', [
        heldSince,
        notDueAnyMore,
      ]),
    ).toBe(0);
  });

  test('a note or reason that arrives after the erasure is not stored; one that came before is cleared', async () => {
    const [before, after] = await casesWithPersonalData(stack.db, 2);
    expect(await attachContactNote(stack.db, before, `contact:${before}`, '客户王五说明天再打')).toBe(true);
    await eraseCases(stack.db, [erasure(before), erasure(after)]);
    expect(await attachContactNote(stack.db, after, `contact:${after}`, '客户王五说明天再打')).toBe(false);
    expect(await attachDecisionReason(stack.db, after, `review:${after}`, '王五的收入证明已核实')).toBe(false);
    expect(
      await count('SELECT count(*)::int AS n FROM contact_log WHERE case_id = ANY($1::uuid[]) AND note IS NOT NULL', [
        before,
        after,
      ]),
    ).toBe(0);
    expect(
      await count(`SELECT count(*)::int AS n FROM decisions WHERE case_id = ANY($1::uuid[]) AND result ? 'reason'`, [
        before,
        after,
      ]),
    ).toBe(0);
  });

  test('eraseCase erases one case, and refuses a missing one with a non-retryable case_not_found', async () => {
    const [id] = await casesWithPersonalData(stack.db, 1);
    await expect(eraseCase(stack.db, erasure(id))).resolves.toEqual({ erased: true });
    await expect(eraseCase(stack.db, erasure(aMissingCaseId()))).rejects.toMatchObject({
      type: 'case_not_found',
      nonRetryable: true,
    });
  });
});

describe('appendAuditMany', () => {
  test('chains its rows in the order given, in one go, and the whole chain still verifies', async () => {
    const targets = ['t-1', 't-2', 't-3'].map((t) => `${t}-${Date.now()}`);
    await stack.db.transaction((m) =>
      appendAuditMany(
        m,
        targets.map((targetId, i) => ({
          actorSub: 'test',
          actorRole: 'system',
          action: 'test.batch',
          targetType: 'test',
          targetId,
          details: { i },
        })),
      ),
    );
    const rows = await stack.db.query(
      `SELECT id, at, actor_sub, actor_role, action, target_type, target_id, details, prev_hash, hash, key_id FROM audit_events WHERE target_id = ANY($1::text[]) ORDER BY id`,
      [targets],
    );
    expect(rows.map((r: { target_id: string }) => r.target_id)).toEqual(targets);
    for (let i = 1; i < rows.length; i++) {
      expect(Number(rows[i].id)).toBe(Number(rows[i - 1].id) + 1); // no other writer in between: the lock was held throughout
      expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    }
    // Postgres keyed each link with the audit key its connection carries: the HMAC Node computes.
    const ring = auditKeyring(stack.cfg);
    for (const r of rows) {
      expect(r.key_id).toBe(stack.cfg.AUDIT_KEY_ID);
      expect(r.hash).toBe(
        auditMac(ring.keys.get(r.key_id)!, r.prev_hash, {
          at: new Date(r.at).toISOString(),
          actorSub: r.actor_sub,
          actorRole: r.actor_role,
          action: r.action,
          targetType: r.target_type,
          targetId: r.target_id,
          details: r.details,
        }),
      );
    }
    expect(await verifyAuditChain(stack.db.manager)).toBeNull();
  });

  test('sets appended at once from several transactions, beside single appends, each stay whole and the chain verifies', async () => {
    const run = `${Date.now()}`;
    const batch = (b: number) =>
      Array.from({ length: 20 }, (_, i) => ({
        actorSub: 'test',
        actorRole: 'system',
        action: 'test.concurrent',
        targetType: 'test',
        targetId: `b${b}-${i}-${run}`,
        details: { b, i, name: '张三', nested: { z: 1, a: [2, 1] } },
      }));
    await Promise.all([
      ...[0, 1, 2, 3, 4].map((b) => stack.db.transaction((m) => appendAuditMany(m, batch(b)))),
      ...[0, 1, 2].map((i) =>
        stack.db.transaction((m) =>
          appendAudit(m, {
            actorSub: 'test',
            actorRole: 'system',
            action: 'test.single',
            targetType: 'test',
            targetId: `s${i}-${run}`,
          }),
        ),
      ),
      stack.db.transaction((m) => appendAuditMany(m, [])),
    ]);
    const rows: { id: string; target_id: string }[] = await stack.db.query(
      `SELECT id, target_id FROM audit_events WHERE target_id LIKE $1 ORDER BY id`,
      [`%-${run}`],
    );
    expect(rows).toHaveLength(5 * 20 + 3);
    for (const b of [0, 1, 2, 3, 4]) {
      const ids = rows.filter((r) => r.target_id.startsWith(`b${b}-`)).map((r) => Number(r.id));
      expect(ids).toHaveLength(20);
      expect(ids[19] - ids[0]).toBe(19); // contiguous: one lock for the whole set
      expect(rows.filter((r) => r.target_id.startsWith(`b${b}-`)).map((r) => r.target_id)).toEqual(
        batch(b).map((e) => e.targetId),
      );
    }
    expect(await verifyAuditChain(stack.db.manager)).toBeNull();
  });

  test('refuses arrays of different lengths instead of storing fields the hash does not cover', async () => {
    const run = `uneven-${Date.now()}`;
    const at = new Date().toISOString();
    await expect(
      stack.db.query(
        `SELECT audit_append_many($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])`,
        [
          [at, at],
          ['a', 'b'],
          ['system', 'system'],
          [run, run],
          ['test', 'test'],
          [`${run}-1`],
          ['{}', '{}'],
          ['t1]', 't2]'],
        ],
      ),
    ).rejects.toThrow('audit_append_many: the arrays differ in length');
    expect((await stack.db.query('SELECT count(*)::int AS n FROM audit_events WHERE action = $1', [run]))[0].n).toBe(0);
  });
});
