import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

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
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

type ChainedFields = { at: string; actorSub: string; actorRole: string; action: string; targetType: string; targetId: string | null; details: unknown };

/** Canonical JSON of a row's fields after the previous hash, with the closing bracket: `,"<at>",…]` without the comma. */
function canonicalTail(row: ChainedFields): string {
  return canonicalJson([row.at, row.actorSub, row.actorRole, row.action, row.targetType, row.targetId, row.details]).slice(1);
}

/**
 * SHA-256 of the canonical JSON array [prevHash, at, actorSub, actorRole, action, targetType,
 * targetId, details]. Written out as `["<prevHash>",` + tail so that Postgres (audit_append, see
 * migration 1764300000000) computes the same hash from the same tail.
 */
export function auditHash(prevHash: string, row: ChainedFields): string {
  return createHash('sha256').update(`[${JSON.stringify(prevHash)},${canonicalTail(row)}`).digest('hex');
}

/** The row audit_append takes, as its eight parameters: the fields, details as JSON, and the canonical tail its hash covers. */
export function auditAppendArgs(entry: AuditEntry, now: Date) {
  const at = (entry.at ?? now).toISOString();
  const details = entry.details ?? {};
  const tail = canonicalTail({ at, actorSub: entry.actorSub, actorRole: entry.actorRole, action: entry.action, targetType: entry.targetType, targetId: entry.targetId, details });
  return [at, entry.actorSub, entry.actorRole, entry.action, entry.targetType, entry.targetId, JSON.stringify(details), tail] as const;
}

/**
 * Appends one event to the hash-chained audit trail, inside the caller's transaction when given
 * one. Each row's hash covers the previous row's hash, so altering or removing a row breaks the chain.
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

/**
 * Walks the chain; returns the first row whose link or hash does not hold, or null when intact. The
 * trail is kept for ever, so it is read a page at a time, in id order (the chain's order: appends
 * hold the chain's lock until they commit), carrying the last hash from page to page, and the event
 * loop gets a turn between pages: memory stays flat and the API keeps answering however long it is.
 */
export async function verifyAuditChain(
  manager: { query(sql: string, params?: unknown[]): Promise<unknown> },
  opts: { pageSize?: number } = {},
): Promise<{ brokenAtId: string; reason: string } | null> {
  const pageSize = opts.pageSize ?? 2_000;
  let prev = GENESIS;
  let after = '0';
  for (;;) {
    const rows = (await manager.query('SELECT * FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2', [after, pageSize])) as {
      id: string; at: Date; actor_sub: string; actor_role: string; action: string; target_type: string; target_id: string | null; details: unknown; prev_hash: string; hash: string;
    }[];
    for (const r of rows) {
      if (r.prev_hash !== prev) return { brokenAtId: String(r.id), reason: 'prev_hash does not match the previous row' };
      const expected = auditHash(prev, { at: new Date(r.at).toISOString(), actorSub: r.actor_sub, actorRole: r.actor_role, action: r.action, targetType: r.target_type, targetId: r.target_id, details: r.details });
      if (expected !== r.hash) return { brokenAtId: String(r.id), reason: 'row content does not match its hash' };
      prev = r.hash;
    }
    if (rows.length < pageSize) return null;
    after = String(rows[rows.length - 1].id);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
