import type { EntityManager } from 'typeorm';
import type { ComplaintEventInput, ComplaintNotificationInput, ComplaintProjection } from '../contract';

// The SQL the complaint workflow's activities write with (../activities.ts): every write is keyed.

type Queryable = Pick<EntityManager, 'query'>;

export async function complaintExists(db: Queryable, complaintId: string): Promise<boolean> {
  const [row] = await db.query('SELECT 1 FROM complaints WHERE id = $1', [complaintId]);
  return Boolean(row);
}

/**
 * Writes the projection unless a newer one was written; says how many rows it wrote and the
 * sequence number the row has, both read in the statement's own snapshot (null: no such row).
 */
export async function writeComplaintProjection(
  db: Queryable,
  complaintId: string,
  seq: number,
  p: ComplaintProjection,
): Promise<{ written: number; current_seq: number | null }> {
  const [outcome]: { written: number; current_seq: number | null }[] = await db.query(
    `WITH projected AS (UPDATE complaints SET state=$3, first_response_due_at=$4, first_responded_at=$5, late_first_response=$6, resolution_due_at=$7,
         late_resolution=$8, next_due_at=$9, escalated_teams=$10, escalated_at=$11, times_reopened=$12, do_not_contact=$13,
         resolution=$14, satisfaction=$15, closed_at=$16, retention_due_at=$17, legal_hold=$18, projection_seq=$2, updated_at=now()
       WHERE id=$1 AND projection_seq < $2 RETURNING 1)
       SELECT (SELECT count(*) FROM projected)::int AS written, (SELECT projection_seq FROM complaints WHERE id = $1) AS current_seq`,
    [
      complaintId,
      seq,
      p.state,
      p.firstResponseDueAt,
      p.firstRespondedAt,
      p.lateFirstResponse,
      p.resolutionDueAt,
      p.lateResolution,
      p.nextDueAt,
      p.escalatedTeams,
      p.escalatedAt,
      p.timesReopened,
      p.doNotContact,
      p.resolution,
      p.satisfaction,
      p.closedAt,
      p.retentionDueAt,
      p.legalHold ?? false,
    ],
  );
  return outcome;
}

/** Records the event once per event ID; says whether this call inserted it. */
export async function insertComplaintEvent(m: Queryable, input: ComplaintEventInput): Promise<boolean> {
  const inserted: unknown[] = await m.query(
    `INSERT INTO complaint_events (event_id, complaint_id, kind, actor, at, details) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
    [input.eventId, input.complaintId, input.kind, input.actor, input.at, JSON.stringify(input.details)],
  );
  return inserted.length > 0;
}

export async function insertComplaintNotification(db: Queryable, input: ComplaintNotificationInput): Promise<void> {
  await db.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
       VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (event_id) DO NOTHING`,
    [input.eventId, input.kind, input.caseId, input.recipientRole, input.recipientId, JSON.stringify(input.payload)],
  );
}

/** The complaint's erasure mark and key scope, its row locked for update until the transaction ends. */
export async function lockComplaintForErasure(
  m: Queryable,
  complaintId: string,
): Promise<{ erased_at: Date | null; key_scope: string } | undefined> {
  const [c] = await m.query('SELECT erased_at, key_scope FROM complaints WHERE id = $1 FOR UPDATE', [complaintId]);
  return c;
}

/** The key first: whatever copy of the sealed text survives (a backup) can no longer be opened. */
export async function eraseComplaintRows(m: Queryable, complaintId: string, at: string): Promise<void> {
  await m.query('DELETE FROM complaint_data_keys WHERE complaint_id = $1', [complaintId]);
  await m.query('UPDATE complaint_events SET note_sealed = NULL WHERE complaint_id = $1', [complaintId]);
  await m.query(
    `UPDATE complaints SET sealed = NULL, erased_at = $2, state = 'erased', next_due_at = NULL, updated_at = now() WHERE id = $1`,
    [complaintId, at],
  );
}
