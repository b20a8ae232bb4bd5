import type { EntityManager } from 'typeorm';

// The SQL of the retention sweep (../retention-sweep.ts, ../retention-settle.ts): chunks in key order.

type Queryable = Pick<EntityManager, 'query'>;

/** A case without a retention date, with what the policy dates it by. */
export interface UndatedCase {
  id: string;
  workflow_id: string;
  updated_at: Date;
  outcome: string | null;
}

/** Where a chunk in (due date, id) order starts: after this key, or from the start. */
export interface DueKey {
  dueAt?: string;
  id: string;
}

/** 1. Cases past the date their own workflow gave them, not on hold, after `after`. */
export async function findDueCases(
  db: Queryable,
  at: string,
  after: DueKey | null | undefined,
  limit: number,
): Promise<{ id: string; due: string }[]> {
  return db.query(
    `SELECT id::text AS id, retention_due_at::text AS due FROM lead_cases
          WHERE erased_at IS NULL AND NOT legal_hold AND retention_basis IS NULL AND retention_due_at IS NOT NULL AND retention_due_at <= $1
            AND ($2::timestamptz IS NULL OR (retention_due_at, id) > ($2::timestamptz, $3::uuid))
          ORDER BY retention_due_at, id LIMIT $4`,
    [at, after?.dueAt ?? null, after?.id ?? null, limit],
  );
}

/** 2. The undated cases, not erased and not on hold, of these workflows. */
export async function findUndatedCasesOfWorkflows(db: Queryable, workflowIds: string[]): Promise<UndatedCase[]> {
  return db.query(
    `SELECT id::text AS id, workflow_id, updated_at, outcome FROM lead_cases
          WHERE workflow_id = ANY($1::text[]) AND erased_at IS NULL AND retention_due_at IS NULL AND NOT legal_hold ORDER BY id`,
    [workflowIds],
  );
}

/** 3. Undated cases untouched since `untouchedSince`, after `afterId`. */
export async function findUntouchedUndatedCases(
  db: Queryable,
  untouchedSince: string,
  afterId: string | null,
  limit: number,
): Promise<UndatedCase[]> {
  return db.query(
    `SELECT id::text AS id, workflow_id, updated_at, outcome FROM lead_cases
          WHERE erased_at IS NULL AND retention_due_at IS NULL AND NOT legal_hold AND updated_at <= $1
            AND ($2::uuid IS NULL OR id > $2::uuid)
          ORDER BY id LIMIT $3`,
    [untouchedSince, afterId, limit],
  );
}

/** 4. Cases the sweep dated, now due and not on hold, after `after`. */
export async function findDueOrphans(
  db: Queryable,
  at: string,
  after: DueKey | null | undefined,
  limit: number,
): Promise<{ id: string; workflow_id: string; due: string }[]> {
  return db.query(
    `SELECT id::text AS id, workflow_id, retention_due_at::text AS due FROM lead_cases
          WHERE retention_basis = 'workflow_not_running' AND erased_at IS NULL AND NOT legal_hold AND retention_due_at <= $1
            AND ($2::timestamptz IS NULL OR (retention_due_at, id) > ($2::timestamptz, $3::uuid))
          ORDER BY retention_due_at, id LIMIT $4`,
    [at, after?.dueAt ?? null, after?.id ?? null, limit],
  );
}

/** Dates each case still without a date, not erased and not on hold, as it is now; returns those dated. */
export async function dateCasesNotRunning(
  m: Queryable,
  ids: string[],
  dueAts: string[],
): Promise<{ id: string; retention_due_at: Date }[]> {
  return m.query(
    `WITH dated AS (
           UPDATE lead_cases l SET retention_due_at = v.due_at, retention_basis = 'workflow_not_running'
             FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, due_at)
            WHERE l.id = v.id AND l.erased_at IS NULL AND l.retention_due_at IS NULL AND NOT l.legal_hold
            RETURNING l.id::text AS id, l.retention_due_at)
         SELECT * FROM dated ORDER BY id`,
    [ids, dueAts],
  );
}

/** Withdraws the sweep's date from these cases; returns those it was withdrawn from. */
export async function withdrawSweepDates(m: Queryable, ids: string[]): Promise<{ id: string }[]> {
  return m.query(
    `WITH cleared AS (
             UPDATE lead_cases SET retention_basis = NULL, retention_due_at = NULL
              WHERE id = ANY($1::uuid[]) AND retention_basis = 'workflow_not_running' AND erased_at IS NULL RETURNING id::text AS id)
           SELECT id FROM cleared ORDER BY id`,
    [ids],
  );
}

/** Locks those of these cases still dated by the sweep, due, not on hold and not erased. */
export async function lockDueOrphans(m: Queryable, ids: string[], at: string): Promise<{ id: string }[]> {
  return m.query(
    `SELECT id::text AS id FROM lead_cases
            WHERE id = ANY($1::uuid[]) AND retention_basis = 'workflow_not_running' AND erased_at IS NULL AND NOT legal_hold AND retention_due_at <= $2
            ORDER BY id FOR UPDATE`,
    [ids, at],
  );
}

export async function markCasesErased(m: Queryable, ids: string[]): Promise<void> {
  await m.query(`UPDATE lead_cases SET stage = 'erased' WHERE id = ANY($1::uuid[])`, [ids]);
}
