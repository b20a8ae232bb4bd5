import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { AuditCheckpoint } from '../../src/platform/audit/checkpoint';
import { auditHash } from '../../src/platform/audit/hash';
import { auditKeyring } from '../../src/platform/audit/keyring';
import { appendAudit } from '../../src/platform/audit/log';
import { checkpointOverdue, CHECKPOINT_OVERDUE_MS, verifyAuditChain } from '../../src/platform/audit/verify';
import { LOCAL_APP_ROLE, migrateDatabase, openDatabase, withRole } from '../../src/platform/db/data-source';
import { seedDemoData } from '../../src/modules/reference/demo-seed';
import { actors } from '../support/factories';
import { openOwnerDatabase, serveVariant, startStack, unreachableTemporal, type TestStack } from '../support/stack';

/**
 * The audit trail against an insider. The service's own role cannot cut it; the owner role (a DBA,
 * who can switch the triggers off) can, and every cut made before the newest checkpoint shows at
 * GET /v1/audit/verify. The attacks run in a database of this file's own, so the shared one keeps
 * an intact chain for the other test files.
 */
let admin: DataSource;
let owner: DataSource;
let stack: TestStack;
let database: string;

beforeAll(async () => {
  admin = await openOwnerDatabase();
  database = `leads_audit_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await admin.query(`CREATE DATABASE ${database}`);
  const ownerUrl = new URL(process.env.DATABASE_MIGRATION_URL!);
  ownerUrl.pathname = `/${database}`;
  const appUrl = withRole(ownerUrl.toString(), LOCAL_APP_ROLE.user, LOCAL_APP_ROLE.password);
  await migrateDatabase(ownerUrl.toString(), appUrl);
  owner = await openDatabase(ownerUrl.toString(), { audit: null, poolMax: 2 });
  await seedDemoData(owner);
  stack = await startStack({ DATABASE_URL: appUrl, DATABASE_MIGRATION_URL: ownerUrl.toString() });
});

afterAll(async () => {
  await stack?.stop();
  await owner?.destroy();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.destroy();
  }
});

const compliance = actors.compliance();
const verify = async () => (await stack.api(compliance, 'GET', '/v1/audit/verify')).body;

async function appendRows(n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    await appendAudit(stack.db.manager, {
      actorSub: 'it',
      actorRole: 'system',
      action: 'test.audit_trail',
      targetType: 'test',
      targetId: `${tag}-${i}`,
      details: { i },
    });
  }
}

async function checkpointNow(): Promise<AuditCheckpoint & { lastId: number }> {
  const res = await stack.api(compliance, 'POST', '/v1/audit/checkpoints');
  expect(res.status).toBe(201);
  return res.body;
}

type Saved = Record<string, unknown>[];
const saveTrail = async (): Promise<Saved> => owner.query('SELECT * FROM audit_events ORDER BY id');

/** Does `attack` as the owner with every trigger off (session_replication_role = replica, which the service's role may not set). */
async function asInsider(
  attack: (m: { query(sql: string, params?: unknown[]): Promise<any> }) => Promise<void>,
): Promise<void> {
  await owner.transaction(async (m) => {
    await m.query('SET LOCAL session_replication_role = replica');
    await attack(m);
  });
}

/** Puts the trail back as it was saved, so the next attack starts from an intact chain. */
async function restoreTrail(saved: Saved): Promise<void> {
  await asInsider(async (m) => {
    await m.query('DELETE FROM audit_events');
    await m.query('INSERT INTO audit_events SELECT * FROM jsonb_populate_recordset(null::audit_events, $1::jsonb)', [
      JSON.stringify(saved),
    ]);
  });
  expect(await verify()).toMatchObject({ intact: true });
}

describe("the service's database role", () => {
  const refused = (sql: string) =>
    expect(stack.db.query(sql)).rejects.toThrow(/permission denied|must be owner|must be superuser/);

  test('is no superuser and owns nothing', async () => {
    const [me] = await stack.db.query(
      `SELECT current_user AS name, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolbypassrls,
              (SELECT count(*)::int FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace) AS owned
         FROM pg_roles r WHERE r.rolname = current_user`,
    );
    expect(me).toEqual({
      name: LOCAL_APP_ROLE.user,
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolbypassrls: false,
      owned: 0,
    });
    const [grants] = await stack.db.query(
      `SELECT has_table_privilege('audit_events', 'SELECT') AS sel, has_table_privilege('audit_events', 'INSERT') AS ins,
              has_table_privilege('audit_events', 'UPDATE') AS upd, has_table_privilege('audit_events', 'DELETE') AS del,
              has_table_privilege('audit_events', 'TRUNCATE') AS trunc, has_table_privilege('consents', 'UPDATE') AS consent_upd,
              has_table_privilege('lead_cases', 'UPDATE') AS case_upd`,
    );
    expect(grants).toEqual({
      sel: true,
      ins: true,
      upd: false,
      del: false,
      trunc: false,
      consent_upd: false,
      case_upd: true,
    });
  });

  test('cannot TRUNCATE, run DDL, switch triggers off, or change or delete an audit row', async () => {
    await appendRows(2, 'role');
    const [{ id }] = await stack.db.query('SELECT max(id)::text AS id FROM audit_events');
    await refused('TRUNCATE audit_events');
    await refused('CREATE TABLE intruder (x int)');
    await refused('CREATE TEMP TABLE intruder (x int)');
    await refused('DROP TABLE audit_events');
    await refused('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update');
    await refused('ALTER TABLE audit_events ADD COLUMN note text');
    await refused('SET session_replication_role = replica');
    await refused(`CREATE OR REPLACE FUNCTION audit_key_pads() RETURNS bytea LANGUAGE sql AS $$ SELECT NULL::bytea $$`);
    await refused(`UPDATE audit_events SET details = '{}' WHERE id = ${id}`);
    await refused(`DELETE FROM audit_events WHERE id = ${id}`);
    expect(await verify()).toMatchObject({ intact: true });
  });

  test('outside development and test, the service refuses to connect as a superuser or the owner', async () => {
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(openDatabase(process.env.DATABASE_MIGRATION_URL!, { audit: stack.cfg, poolMax: 1 })).rejects.toThrow(
        /superuser/,
      );
      const app = await openDatabase(stack.cfg.DATABASE_URL, { audit: stack.cfg, poolMax: 1 });
      await app.destroy();
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  });

  test('outside development and test, it also refuses a login that reaches the trail through a role it belongs to', async () => {
    const [{ tableOwner }] = await owner.query(
      `SELECT pg_get_userbyid(relowner) AS "tableOwner" FROM pg_class WHERE oid = 'audit_events'::regclass`,
    );
    const urlFor = (name: string) => {
      const url = new URL(stack.cfg.DATABASE_URL);
      url.username = name;
      url.password = 'pw-for-this-test';
      return url.toString();
    };
    const writer = `lead_writer_${randomUUID().slice(0, 8)}`;
    const ownerMember = `lead_owner_member_${randomUUID().slice(0, 8)}`;
    await owner.query(`CREATE ROLE ${writer} LOGIN PASSWORD 'pw-for-this-test' IN ROLE lead_app, pg_write_all_data`);
    await owner.query(`CREATE ROLE ${ownerMember} LOGIN PASSWORD 'pw-for-this-test' IN ROLE lead_app, "${tableOwner}"`);
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await expect(openDatabase(urlFor(writer), { audit: stack.cfg, poolMax: 1 })).rejects.toThrow(
        /may update, delete or truncate the audit trail/,
      );
      await expect(openDatabase(urlFor(ownerMember), { audit: stack.cfg, poolMax: 1 })).rejects.toThrow(
        /(member of the tables' owner role|superuser)/,
      );
    } finally {
      process.env.NODE_ENV = nodeEnv;
      await owner.query(`DROP ROLE ${writer}`);
      await owner.query(`DROP ROLE ${ownerMember}`);
    }
  });

  test('the owner cannot TRUNCATE the trail either while the triggers are on', async () => {
    await expect(owner.query('TRUNCATE audit_events')).rejects.toThrow('append-only');
  });
});

describe('checkpoints kept outside Postgres', () => {
  test('compliance takes one now; a broker may not', async () => {
    // More than nine rows, so that the head's id has more digits than some before it.
    await appendRows(12, 'cp');
    const [head] = await stack.db.query('SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1');
    const cp = await checkpointNow();
    expect(cp).toMatchObject({
      lastId: Number(head.id),
      headMac: head.hash,
      keyId: stack.cfg.AUDIT_KEY_ID,
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const answer = await verify();
    expect(answer).toMatchObject({
      intact: true,
      checkpoint: { lastId: cp.lastId, count: cp.count, at: cp.at, ageSeconds: expect.any(Number) },
    });
    expect(answer.checkpoint.ageSeconds).toBeLessThan(120);

    const refused = await stack.api(actors.broker(), 'POST', '/v1/audit/checkpoints');
    expect(refused.status).toBe(403);
    expect((await stack.api(actors.broker(), 'GET', '/v1/audit/verify')).status).toBe(403);
  });

  test('without the anchor (Temporal unreachable) the answer is 503, never a verdict on the chain', async () => {
    const variant = await serveVariant(stack, { temporal: unreachableTemporal() });
    try {
      // (The call to Temporal gives up after 15 s.)
      const res = await variant.call(compliance, 'GET', '/v1/audit/verify');
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 503, code: 'audit_anchor_unavailable' });
    } finally {
      await variant.close();
    }
  });

  test('the scheduled workflow signs the head and records it in the anchor', async () => {
    await appendRows(1, 'scheduled');
    const [head] = await stack.db.query(
      'SELECT id::text AS id FROM audit_events ORDER BY audit_events.id DESC LIMIT 1',
    );
    const cp = await stack.client.workflow.execute('auditCheckpoint', {
      taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
      workflowId: `audit-checkpoint-test-${randomUUID()}`,
    });
    expect((cp as AuditCheckpoint).lastId).toBe(head.id);
    expect(await verify()).toMatchObject({ intact: true, checkpoint: { lastId: Number(head.id) } });
  });
});

describe('a DBA insider, triggers off, after a checkpoint', () => {
  test('deleting the tail shows', async () => {
    await appendRows(4, 'tail');
    const cp = await checkpointNow();
    await appendRows(2, 'tail-after');
    const saved = await saveTrail();
    // Rows after the checkpoint alone: the window its age measures.
    await asInsider((m) => m.query('DELETE FROM audit_events WHERE id > $1', [cp.lastId]));
    expect(await verify()).toMatchObject({ intact: true });
    await asInsider((m) => m.query('DELETE FROM audit_events WHERE id > $1', [cp.lastId - 2]));
    expect(await verify()).toMatchObject({
      intact: false,
      code: 'chain_ends_before_checkpoint',
      firstBrokenId: cp.lastId,
      reason: expect.any(String),
    });
    await restoreTrail(saved);
  });

  test('truncating the trail shows', async () => {
    await appendRows(2, 'truncate');
    await checkpointNow();
    const saved = await saveTrail();
    await asInsider((m) => m.query('TRUNCATE audit_events'));
    expect(await verify()).toMatchObject({ intact: false, code: 'chain_ends_before_checkpoint' });
    await restoreTrail(saved);
  });

  test('rewriting a row and re-hashing every row after it with plain SHA-256 shows', async () => {
    await appendRows(5, 'rewrite');
    const cp = await checkpointNow();
    const saved = await saveTrail();
    const target = cp.lastId - 3;
    // Re-link from the edited row on, as keyed rows: the MACs do not verify without the key.
    await asInsider((m) => rehashFrom(m, target, 'keep'));
    expect(await verify()).toMatchObject({ intact: false, code: 'row_altered', firstBrokenId: target });
    await restoreTrail(saved);
    // The whole trail re-linked as unkeyed rows from the start: a chain that holds, but not the checkpoint's.
    await asInsider((m) => rehashFrom(m, 0, 'unkeyed'));
    expect(await verifyAuditChain(owner.manager)).toBeNull();
    expect(await verify()).toMatchObject({ intact: false, code: 'checkpoint_head_mismatch', firstBrokenId: cp.lastId });
    await restoreTrail(saved);
  });
});

describe('checkpoints that keep vouching', () => {
  test('a cut before the newest checkpoint is not sealed in by the next one: no checkpoint is signed over it, and verify still shows it', async () => {
    await appendRows(4, 'sealed-cut');
    const cp = await checkpointNow();
    const saved = await saveTrail();
    await asInsider((m) => m.query('DELETE FROM audit_events WHERE id > $1', [cp.lastId - 2]));
    // The service goes on appending, each row linked (with a valid MAC) to what is left.
    await appendRows(3, 'after-the-cut');
    const refused = await stack.api(compliance, 'POST', '/v1/audit/checkpoints');
    expect([refused.status, refused.body.code]).toEqual([409, 'audit_chain_cut']);
    expect(await verify()).toMatchObject({
      intact: false,
      code: 'checkpoint_row_missing',
      checkpoint: { lastId: cp.lastId },
    });
    await restoreTrail(saved);
  });

  test('rows left without a checkpoint for over 15 minutes (the schedule stopped, or the anchor was deleted) make the trail unverifiable', async () => {
    await appendRows(1, 'overdue');
    const cp = await checkpointNow();
    await appendRows(1, 'overdue-after');
    const later = new Date(Date.now() + CHECKPOINT_OVERDUE_MS + 60_000);
    const newest = { ...cp, lastId: String(cp.lastId) };
    expect(await checkpointOverdue(stack.db, newest, new Date())).toBeNull();
    expect(await checkpointOverdue(stack.db, newest, later)).toMatchObject({ code: 'checkpoint_overdue' });
    expect(await checkpointOverdue(stack.db, null, later)).toMatchObject({ code: 'checkpoint_missing' });
  });
});

/** Edits row `target` (if any) and re-links it and every later row with SHA-256, keeping key_id or clearing it. */
async function rehashFrom(
  m: { query(sql: string, params?: unknown[]): Promise<any> },
  target: number,
  keyIds: 'keep' | 'unkeyed',
): Promise<void> {
  const rows: any[] = await m.query('SELECT * FROM audit_events ORDER BY id');
  let prev = 'genesis';
  for (const r of rows) {
    if (Number(r.id) === target) r.details = { ...r.details, forged: true };
    if (Number(r.id) >= target) {
      const hash = auditHash(prev, {
        at: new Date(r.at).toISOString(),
        actorSub: r.actor_sub,
        actorRole: r.actor_role,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        details: r.details,
      });
      await m.query('UPDATE audit_events SET details = $2, prev_hash = $3, hash = $4, key_id = $5 WHERE id = $1', [
        r.id,
        JSON.stringify(r.details),
        prev,
        hash,
        keyIds === 'keep' ? r.key_id : null,
      ]);
      prev = hash;
    } else {
      prev = r.hash;
    }
  }
}

describe('the audit key', () => {
  test('rotated: rows chained under the retired key still verify, each row naming its key', async () => {
    await appendRows(2, 'before-rotation');
    const rotated = {
      AUDIT_KEY: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 29 + 11) & 0xff)).toString('base64'),
      AUDIT_KEY_ID: 'audit-rotated-2',
      AUDIT_OLD_KEYS: `${stack.cfg.AUDIT_KEY_ID}:${stack.cfg.AUDIT_KEY}`,
    };
    const rotatedDb = await openDatabase(stack.cfg.DATABASE_URL, { audit: rotated, poolMax: 1 });
    const saved = await saveTrail();
    try {
      await appendAudit(rotatedDb.manager, {
        actorSub: 'it',
        actorRole: 'system',
        action: 'test.after_rotation',
        targetType: 'test',
        targetId: null,
      });
      const keys: { key_id: string }[] = await owner.query('SELECT key_id FROM audit_events ORDER BY id DESC LIMIT 3');
      expect(keys.map((k) => k.key_id)).toEqual(['audit-rotated-2', stack.cfg.AUDIT_KEY_ID, stack.cfg.AUDIT_KEY_ID]);
      expect(await verifyAuditChain(rotatedDb.manager, { keyring: auditKeyring(rotated) })).toBeNull();
      // A verifier that does not hold the new key cannot vouch for its rows.
      expect(await verifyAuditChain(rotatedDb.manager, { keyring: auditKeyring(stack.cfg) })).toMatchObject({
        code: 'unknown_key',
      });
      // A connection without the key cannot append at all.
      await expect(
        owner.query(`SELECT audit_append(now(), 'x', 'x', 'x', 'x', NULL, '{}'::jsonb, '"x"]')`),
      ).rejects.toThrow('audit key is not set');
    } finally {
      await rotatedDb.destroy();
      await restoreTrail(saved);
    }
  });
});
