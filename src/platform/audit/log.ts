import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { config } from '../config';
import type { AuditCheckpoint } from '../../modules/audit/contract';

export type { AuditCheckpoint };

export interface AuditEntry {
  actorSub: string;
  actorRole: string;
  action: string;
  targetType: string;
  targetId: string | null;
  /** IDs, codes and field names only: never the personal data itself. */
  details?: Record<string, unknown>;
  at?: Date;
}

const GENESIS = 'genesis';

/** JSON with object keys sorted at every depth: jsonb does not keep key order, the hash must not care. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

type ChainedFields = {
  at: string;
  actorSub: string;
  actorRole: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
};

/** Canonical JSON of a row's fields after the previous hash, with the closing bracket: `,"<at>",…]` without the comma. */
function canonicalTail(row: ChainedFields): string {
  return canonicalJson([
    row.at,
    row.actorSub,
    row.actorRole,
    row.action,
    row.targetType,
    row.targetId,
    row.details,
  ]).slice(1);
}

const linkText = (prevHash: string, row: ChainedFields) => `[${JSON.stringify(prevHash)},${canonicalTail(row)}`;

/**
 * The link of a row written before the chain was keyed (key_id NULL): SHA-256 of the canonical
 * JSON array [prevHash, at, actorSub, actorRole, action, targetType, targetId, details].
 */
export function auditHash(prevHash: string, row: ChainedFields): string {
  return createHash('sha256').update(linkText(prevHash, row)).digest('hex');
}

/**
 * The link of a keyed row: HMAC-SHA256 under the audit key of the same canonical JSON array,
 * written out as `["<prevHash>",` + tail so that Postgres (audit_append, migration
 * 1765450000000) computes the same MAC from the same tail with the key the connection carries.
 */
export function auditMac(key: Buffer, prevHash: string, row: ChainedFields): string {
  return createHmac('sha256', key).update(linkText(prevHash, row)).digest('hex');
}

/** The audit keys: the current one, which chains new rows, and every one that still verifies old rows. */
export interface AuditKeyring {
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export function auditKeyring(cfg: { AUDIT_KEY: string; AUDIT_KEY_ID: string; AUDIT_OLD_KEYS: string }): AuditKeyring {
  const keys = new Map<string, Buffer>();
  for (const pair of cfg.AUDIT_OLD_KEYS ? cfg.AUDIT_OLD_KEYS.split(',') : []) {
    const at = pair.indexOf(':');
    keys.set(pair.slice(0, at), Buffer.from(pair.slice(at + 1), 'base64'));
  }
  keys.set(cfg.AUDIT_KEY_ID, Buffer.from(cfg.AUDIT_KEY, 'base64'));
  return { currentId: cfg.AUDIT_KEY_ID, keys };
}

/**
 * The libpq `options` that give a connection the current audit key for audit_append: HMAC's inner
 * and outer pads (equivalent to the key; they spare Postgres the XOR) and the key's ID. They live
 * in the session's memory only, never in a table, a setting file or a statement's text.
 */
export function auditConnectionOptions(ring: AuditKeyring): string {
  const key = ring.keys.get(ring.currentId)!;
  const block = Buffer.alloc(64);
  (key.length > 64 ? createHash('sha256').update(key).digest() : key).copy(block);
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte));
  return `-c lead_audit.pads=${Buffer.concat([pad(0x36), pad(0x5c)]).toString('hex')} -c lead_audit.key_id=${ring.currentId}`;
}

/** The row audit_append takes, as its eight parameters: the fields, details as JSON, and the canonical tail its hash covers. */
export function auditAppendArgs(entry: AuditEntry, now: Date) {
  const at = (entry.at ?? now).toISOString();
  const details = entry.details ?? {};
  const tail = canonicalTail({
    at,
    actorSub: entry.actorSub,
    actorRole: entry.actorRole,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    details,
  });
  return [
    at,
    entry.actorSub,
    entry.actorRole,
    entry.action,
    entry.targetType,
    entry.targetId,
    JSON.stringify(details),
    tail,
  ] as const;
}

/**
 * Appends one event to the keyed hash chain of the audit trail, inside the caller's transaction when
 * given one. Each row's MAC covers the previous row's, so altering or removing a row breaks the chain;
 * the connection carries the audit key (see `auditConnectionOptions`).
 * One statement (audit_append) takes the chain's lock, links and inserts the row; the lock is held
 * until the transaction commits, so callers append last, just before their commit.
 */
export async function appendAudit(manager: EntityManager, entry: AuditEntry): Promise<void> {
  await manager.query('SELECT audit_append($1,$2,$3,$4,$5,$6,$7,$8)', [...auditAppendArgs(entry, new Date())]);
}

/**
 * Appends several events, chained in the order given, in one statement (audit_append_many, see
 * migration 1764400000000): the lock is taken and the last hash read once for the set. The lock is
 * held until commit, as with appendAudit, so callers append last.
 */
export async function appendAuditMany(manager: EntityManager, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const now = new Date();
  const rows = entries.map((e) => auditAppendArgs(e, now));
  const column = (i: number) => rows.map((r) => r[i]);
  await manager.query(
    'SELECT audit_append_many($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::text[])',
    [0, 1, 2, 3, 4, 5, 6, 7].map(column),
  );
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

const checkpointText = (c: Omit<AuditCheckpoint, 'signature'>) =>
  `audit-checkpoint:${JSON.stringify([c.lastId, c.count, c.headMac, c.at, c.keyId])}`;

export function signAuditCheckpoint(
  ring: AuditKeyring,
  fields: Omit<AuditCheckpoint, 'keyId' | 'signature'>,
): AuditCheckpoint {
  const unsigned = {
    lastId: fields.lastId,
    count: fields.count,
    headMac: fields.headMac,
    at: fields.at,
    keyId: ring.currentId,
  };
  return {
    ...unsigned,
    signature: createHmac('sha256', ring.keys.get(ring.currentId)!).update(checkpointText(unsigned)).digest('hex'),
  };
}

/** Whether a checkpoint was signed by one of our audit keys and is unaltered. */
export function auditCheckpointSigned(ring: AuditKeyring, c: AuditCheckpoint): boolean {
  const key = ring.keys.get(c.keyId);
  if (!key || typeof c.signature !== 'string') return false;
  const expected = createHmac('sha256', key).update(checkpointText(c)).digest();
  const given = Buffer.from(c.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Reads the chain's head and signs it. No lock is needed: appends hold the chain's lock until they
 * commit and take their ids under it, so once the newest row is visible every row before it is.
 */
// ORDER BY names the table's column: the bare `id` would be the text alias, and '9' sorts after '12'.
export async function takeAuditCheckpoint(
  db: Queryable,
  ring: AuditKeyring,
  now = new Date(),
): Promise<AuditCheckpoint> {
  const [head] = (await db.query(
    'SELECT id::text AS id, hash FROM audit_events ORDER BY audit_events.id DESC LIMIT 1',
  )) as { id: string; hash: string }[];
  const lastId = head?.id ?? '0';
  const [{ n }] = (await db.query('SELECT count(*)::text AS n FROM audit_events WHERE id <= $1', [lastId])) as {
    n: string;
  }[];
  return signAuditCheckpoint(ring, { lastId, count: Number(n), headMac: head?.hash ?? GENESIS, at: now.toISOString() });
}

/**
 * Why the trail no longer reaches a checkpoint taken earlier (its head row gone or changed, rows
 * before it removed), or null when it still does. Checked before a new checkpoint is signed: one
 * signed over a cut would seal the cut in, since verification looks at the newest checkpoint.
 */
export async function checkpointNoLongerReached(db: Queryable, previous: AuditCheckpoint): Promise<string | null> {
  if (previous.count === 0) return null;
  const [head] = (await db.query('SELECT hash FROM audit_events WHERE id = $1', [previous.lastId])) as {
    hash: string;
  }[];
  if (!head) return `row ${previous.lastId}, the head at the checkpoint of ${previous.at}, is gone`;
  if (head.hash !== previous.headMac)
    return `row ${previous.lastId} is not the one the checkpoint of ${previous.at} signed`;
  const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM audit_events WHERE id <= $1', [previous.lastId])) as {
    n: number;
  }[];
  if (n !== previous.count)
    return `${n} rows up to row ${previous.lastId}, where the checkpoint of ${previous.at} counted ${previous.count}`;
  return null;
}

/** Rows older than this that no checkpoint covers mean checkpoints stopped (three missed 5-minute runs) or the anchor was removed. */
export const CHECKPOINT_OVERDUE_MS = 15 * 60_000;

/**
 * Why the newest checkpoint cannot vouch for the trail: rows appended after it (or any row, when
 * there is none) have waited longer than CHECKPOINT_OVERDUE_MS for one. Someone who stops the
 * schedule or deletes the anchor must not leave a trail that verifies whatever was cut.
 */
export async function checkpointOverdue(
  db: Queryable,
  checkpoint: AuditCheckpoint | null,
  now = new Date(),
): Promise<AuditBreak | null> {
  const [oldest] = (await db.query(
    'SELECT id::text AS id, at FROM audit_events WHERE id > $1 ORDER BY audit_events.id LIMIT 1',
    [checkpoint?.lastId ?? '0'],
  )) as {
    id: string;
    at: Date;
  }[];
  if (!oldest || now.getTime() - new Date(oldest.at).getTime() <= CHECKPOINT_OVERDUE_MS) return null;
  return checkpoint
    ? {
        code: 'checkpoint_overdue',
        reason: `no checkpoint since ${checkpoint.at}, though rows have waited over ${CHECKPOINT_OVERDUE_MS / 60_000} minutes for one`,
        brokenAtId: oldest.id,
      }
    : {
        code: 'checkpoint_missing',
        reason: `the trail has rows older than ${CHECKPOINT_OVERDUE_MS / 60_000} minutes and no checkpoint outside Postgres (the anchor is missing)`,
        brokenAtId: oldest.id,
      };
}

/** Why the trail cannot be trusted: a stable code, a sentence, and the row where it shows (if any). */
export interface AuditBreak {
  code:
    | 'link_broken'
    | 'row_altered'
    | 'unknown_key'
    | 'unkeyed_row'
    | 'checkpoint_signature_invalid'
    | 'checkpoint_row_missing'
    | 'checkpoint_count_mismatch'
    | 'checkpoint_head_mismatch'
    | 'chain_ends_before_checkpoint'
    | 'checkpoint_overdue'
    | 'checkpoint_missing';
  reason: string;
  brokenAtId: string | null;
}

/**
 * Walks the chain; returns the first thing that does not hold, or null when the chain is intact
 * and (given one) reaches the checkpoint: the row at its lastId exists, is the count-th row, and
 * carries its headMac. So removing rows up to the checkpoint (a truncation, a cut tail), or
 * rewriting any of them and re-linking the rest, shows, even done by someone able to bypass the
 * triggers. Keyed rows are checked with the key named by their key_id; rows from before the chain
 * was keyed (key_id NULL) with SHA-256, and only before the first keyed row.
 *
 * The trail is kept for ever, so it is read a page at a time, in id order (the chain's order:
 * appends hold the chain's lock until they commit), carrying the last hash from page to page, and
 * the event loop gets a turn between pages: memory stays flat and the API keeps answering.
 */
export async function verifyAuditChain(
  manager: Queryable,
  opts: { pageSize?: number; keyring?: AuditKeyring; checkpoint?: AuditCheckpoint | null } = {},
): Promise<AuditBreak | null> {
  const pageSize = opts.pageSize ?? 2_000;
  const ring = opts.keyring ?? auditKeyring(config());
  const cp = opts.checkpoint ?? null;
  if (cp && !auditCheckpointSigned(ring, cp)) {
    return {
      code: 'checkpoint_signature_invalid',
      reason: 'the checkpoint is not signed by a known audit key',
      brokenAtId: null,
    };
  }
  const walk: ChainWalk = {
    ring,
    cp,
    cpId: cp ? BigInt(cp.lastId) : null,
    reached: cp === null || cp.count === 0,
    prev: GENESIS,
    keyed: false,
    seen: 0,
  };
  let after = '0';
  for (;;) {
    const rows = (await manager.query('SELECT * FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2', [
      after,
      pageSize,
    ])) as AuditRow[];
    for (const r of rows) {
      const broken = walkRow(walk, r);
      if (broken) return broken;
    }
    if (rows.length < pageSize) break;
    after = String(rows[rows.length - 1].id);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!walk.reached) {
    return {
      code: 'chain_ends_before_checkpoint',
      reason: `the chain ends before row ${cp!.lastId}, its head at the newest checkpoint: rows were removed`,
      brokenAtId: cp!.lastId,
    };
  }
  return null;
}

type AuditRow = {
  id: string;
  at: Date;
  actor_sub: string;
  actor_role: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
  key_id?: string | null;
};

/** How far the walk along the chain has come: carried from row to row and from page to page. */
interface ChainWalk {
  ring: AuditKeyring;
  cp: AuditCheckpoint | null;
  cpId: bigint | null;
  /** The checkpoint's head has been passed and matched (or there is nothing to reach). */
  reached: boolean;
  /** The previous row's hash. */
  prev: string;
  /** A keyed row has been seen: unkeyed rows may no longer follow. */
  keyed: boolean;
  seen: number;
}

/** Checks the next row and moves the walk past it; the break it shows, or null. */
function walkRow(walk: ChainWalk, r: AuditRow): AuditBreak | null {
  const id = String(r.id);
  const { cp } = walk;
  if (cp && !walk.reached && BigInt(id) > walk.cpId!) {
    return {
      code: 'checkpoint_row_missing',
      reason: `row ${cp.lastId}, the chain's head at the newest checkpoint, is gone`,
      brokenAtId: cp.lastId,
    };
  }
  const broken = brokenLink(walk, r, id);
  if (broken) return broken;
  walk.prev = r.hash;
  walk.seen++;
  return cp && !walk.reached && id === cp.lastId ? checkpointHeadBreak(walk, cp, r, id) : null;
}

/** Whether the row links to the previous one and its hash covers its content, under its own key. */
function brokenLink(walk: ChainWalk, r: AuditRow, id: string): AuditBreak | null {
  const keyId = r.key_id ?? null;
  if (keyId === null && walk.keyed)
    return { code: 'unkeyed_row', reason: 'an unkeyed row follows keyed rows', brokenAtId: id };
  if (r.prev_hash !== walk.prev)
    return { code: 'link_broken', reason: 'prev_hash does not match the previous row', brokenAtId: id };
  const fields = {
    at: new Date(r.at).toISOString(),
    actorSub: r.actor_sub,
    actorRole: r.actor_role,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    details: r.details,
  };
  let expected: string;
  if (keyId === null) {
    expected = auditHash(walk.prev, fields);
  } else {
    const key = walk.ring.keys.get(keyId);
    if (!key)
      return {
        code: 'unknown_key',
        reason: `the row is chained with audit key ${keyId}, which is not configured (AUDIT_KEY_ID, AUDIT_OLD_KEYS)`,
        brokenAtId: id,
      };
    walk.keyed = true;
    expected = auditMac(key, walk.prev, fields);
  }
  if (expected !== r.hash)
    return { code: 'row_altered', reason: 'row content does not match its hash', brokenAtId: id };
  return null;
}

/** At the checkpoint's head: it must be the count-th row and carry the signed MAC. */
function checkpointHeadBreak(walk: ChainWalk, cp: AuditCheckpoint, r: AuditRow, id: string): AuditBreak | null {
  if (walk.seen !== cp.count) {
    return {
      code: 'checkpoint_count_mismatch',
      reason: `${walk.seen} rows up to the checkpoint's head, where the checkpoint counted ${cp.count}`,
      brokenAtId: id,
    };
  }
  if (r.hash !== cp.headMac)
    return {
      code: 'checkpoint_head_mismatch',
      reason: "the row at the checkpoint's head is not the one the checkpoint signed",
      brokenAtId: id,
    };
  walk.reached = true;
  return null;
}
