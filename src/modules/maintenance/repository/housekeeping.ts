import type { EntityManager } from 'typeorm';

// The SQL of the scheduled helpers in ../activities.ts: offboarding, digests, purges, the orphan sweep.

type Queryable = Pick<EntityManager, 'query'>;

/** The broker's open cases, oldest first. */
export async function findOpenCaseIdsOfBroker(db: Queryable, brokerId: string): Promise<{ id: string }[]> {
  return db.query('SELECT id FROM lead_cases WHERE broker_id = $1 AND is_open ORDER BY created_at', [brokerId]);
}

export async function updateBrokerActive(db: Queryable, brokerId: string, active: boolean): Promise<void> {
  await db.query('UPDATE brokers SET active = $2 WHERE id = $1', [brokerId, active]);
}

/** Open cases past their deadline, counted by broker, most first. */
export async function countBreachedByBroker(
  db: Queryable,
  at: string,
): Promise<{ broker_id: string | null; n: number; oldest: Date }[]> {
  return db.query(
    `SELECT broker_id, count(*)::int AS n, min(sla_due_at) AS oldest FROM lead_cases
          WHERE is_open AND sla_due_at < $1 GROUP BY broker_id ORDER BY n DESC`,
    [at],
  );
}

/** A digest to the managers, once per event ID. */
export async function insertManagerDigest(db: Queryable, eventId: string, payload: string): Promise<void> {
  await db.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
           VALUES ($1,'digest',NULL,'manager',NULL,$2) ON CONFLICT (event_id) DO NOTHING`,
    [eventId, payload],
  );
}

/** Deletes stored Idempotency-Key answers older than `days` before `at`; returns how many. */
export async function purgeIdempotencyKeys(db: Queryable, at: string, days: number): Promise<number> {
  const [{ n }] = await db.query(
    `WITH gone AS (DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz - make_interval(days => $2) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    [at, days],
  );
  return n;
}

/** Deletes lender applications `days` or more before `at`; returns how many. */
export async function purgeLenderApplications(db: Queryable, at: string, days: number): Promise<number> {
  const [{ n }] = await db.query(
    `WITH gone AS (DELETE FROM lender_applications WHERE applied_at <= $1::timestamptz - make_interval(days => $2) RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    [at, days],
  );
  return n;
}

/** Open cases waiting on a person with no deadline running, or in an automatic stage for over an hour. */
export async function findCasesWithoutDeadline(db: Queryable, at: string): Promise<{ id: string; stage: string }[]> {
  return db.query(
    `SELECT id, stage FROM lead_cases WHERE is_open AND (
            (stage IN ('awaiting_consent','manual_review','follow_up') AND sla_due_at IS NULL)
         OR (stage IN ('prescreening','matching') AND updated_at < $1::timestamptz - interval '1 hour'))
         ORDER BY created_at LIMIT 1000`,
    [at],
  );
}

/** Of these workflow IDs, those that have a case row. */
export async function findCaseWorkflowIds(db: Queryable, workflowIds: string[]): Promise<{ workflow_id: string }[]> {
  return db.query('SELECT workflow_id FROM lead_cases WHERE workflow_id = ANY($1::text[])', [workflowIds]);
}
