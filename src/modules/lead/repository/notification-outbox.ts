import type { EntityManager } from 'typeorm';

// The SQL of the notifications outbox that ../activities/notification-relay.ts delivers.
// (Each UPDATE … RETURNING here is wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count].)

type Queryable = Pick<EntityManager, 'query'>;

/** Rows claimed at once; each is leased for LEASE while the batch is delivered (5 s per row at most). */
const BATCH = 20;
const LEASE = '5 minutes';

export interface OutboxRow {
  id: string;
  event_id: string;
  kind: string;
  case_id: string | null;
  recipient_role: string;
  recipient_id: string | null;
  payload: unknown;
}

/** Claims a batch of due rows by pushing their next attempt out by the lease; no lock outlives the statement. */
export async function claimDueNotifications(db: Queryable): Promise<OutboxRow[]> {
  return db.query(
    `WITH claimed AS (
       UPDATE notifications n SET next_attempt_at = now() + interval '${LEASE}'
         FROM (SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY next_attempt_at, id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED) due
        WHERE n.id = due.id
        RETURNING n.id, n.event_id, n.kind, n.case_id, n.recipient_role, n.recipient_id, n.payload)
     SELECT * FROM claimed`,
  );
}

export async function markNotificationSent(db: Queryable, id: string): Promise<void> {
  await db.query(`UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = now() WHERE id = $1`, [
    id,
  ]);
}

/** Counts a failed try: `failed` at `maxAttempts`, else the next try after the doubling back-off. */
export async function recordNotificationFailure(
  db: Queryable,
  id: string,
  maxAttempts: number,
  maxBackoffSeconds: number,
): Promise<{ attempts: number; status: string } | undefined> {
  const [after]: { attempts: number; status: string }[] = await db.query(
    `WITH tried AS (
       UPDATE notifications
          SET attempts = attempts + 1,
              status = CASE WHEN attempts + 1 >= $2 THEN 'failed' ELSE 'pending' END,
              next_attempt_at = now() + interval '1 second' * least(power(2, attempts), $3)
        WHERE id = $1 RETURNING attempts, status)
     SELECT * FROM tried`,
    [id, maxAttempts, maxBackoffSeconds],
  );
  return after;
}
