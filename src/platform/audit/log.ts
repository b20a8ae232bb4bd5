import type { EntityManager } from 'typeorm';
import { canonicalTail } from './hash';

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
