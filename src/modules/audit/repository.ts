import type { EntityManager } from 'typeorm';

// The SQL of reading the audit trail; service/trail.ts shapes the answer. (Appending and checking
// the chain are src/platform/audit's.)

type Queryable = Pick<EntityManager, 'query'>;

/** What the audit trail may be filtered by, newest first, a page at a time. */
export interface AuditTrailQuery {
  targetType?: string;
  targetId?: string;
  actorSub?: string;
  action?: string;
  beforeId?: number;
  limit: number;
}

/** The audit events that match every filter given, newest first, their ids as Postgres returns a bigint. */
export async function findAuditEvents(db: Queryable, q: AuditTrailQuery): Promise<Record<string, unknown>[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    if (value === undefined) return;
    params.push(value);
    where.push(condition(`$${params.length}`));
  };
  add((p) => `target_type = ${p}`, q.targetType);
  add((p) => `target_id = ${p}`, q.targetId);
  add((p) => `actor_sub = ${p}`, q.actorSub);
  add((p) => `action = ${p}`, q.action);
  add((p) => `id < ${p}`, q.beforeId || undefined);
  params.push(q.limit);
  return db.query(
    `SELECT id, at, actor_sub AS "actorSub", actor_role AS "actorRole", action, target_type AS "targetType", target_id AS "targetId",
            details, prev_hash AS "prevHash", hash, key_id AS "keyId"
       FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
}
