import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { appendAudit } from '../../platform/audit/log';
import type {
  ComplaintActivities,
  ComplaintEventInput,
  ComplaintNotificationInput,
  ComplaintProjection,
} from './contract';

const WORKFLOW_ACTOR = { actorSub: 'workflow', actorRole: 'system' };

/** Events that the timers or the workflow caused: audited here, since no API call did it. */
const AUDITED_WORKFLOW_EVENTS = new Set<ComplaintEventInput['kind']>([
  'do_not_contact',
  'first_response_late',
  'resolution_late',
]);

/**
 * A filing starts its workflow inside its transaction, so a first activity may run before the
 * commit: a missing row is worth retrying. But the transaction commits within seconds or never:
 * a row still missing this long after the activity was first scheduled belongs to a filing that
 * rolled back and whose terminate did not get through, and the workflow then ends instead of
 * retrying for ever. (A complaint's activities are regular ones, so their scheduled time is that
 * of the first attempt.)
 */
export const FILING_COMMIT_GRACE_MS = 2 * 60_000;

async function assertComplaintExists(db: DataSource, complaintId: string): Promise<void> {
  const [row] = await db.query('SELECT 1 FROM complaints WHERE id = $1', [complaintId]);
  if (!row) complaintMissing(complaintId);
}

function complaintMissing(complaintId: string): never {
  if (Date.now() - Context.current().info.scheduledTimestampMs > FILING_COMMIT_GRACE_MS) {
    throw ApplicationFailure.nonRetryable(
      `complaint ${complaintId} was never committed by its filing`,
      'complaint_never_committed',
    );
  }
  throw ApplicationFailure.retryable(`complaint ${complaintId} is not (yet) in the database`, 'complaint_not_found');
}

/** Activities of one complaint, built around their dependencies. Every write is keyed. */
export function createComplaintActivities({ db }: { db: DataSource }): ComplaintActivities {
  return {
    projectComplaint: (input) => projectComplaint(db, input),
    recordComplaintEvent: (input) => recordComplaintEvent(db, input),
    notifyAboutComplaint: (input) => notifyAboutComplaint(db, input),
    eraseComplaintData: (input) => eraseComplaintData(db, input),
  };
}

async function projectComplaint(
  db: DataSource,
  {
    complaintId,
    seq,
    projection: p,
  }: {
    complaintId: string;
    seq: number;
    projection: ComplaintProjection;
  },
): Promise<void> {
  // Its outcome is read in the statement's own snapshot: a later look could see a filing that
  // committed in between, and take a projection that was never written for one overtaken.
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
  if (outcome.written > 0) return;
  if (outcome.current_seq === null) complaintMissing(complaintId);
  // Overtaken by a newer projection: done. Changed under the statement by a concurrent one: ask again.
  if (outcome.current_seq < seq)
    throw ApplicationFailure.retryable(
      `the projection of complaint ${complaintId} met a concurrent one`,
      'projection_contended',
    );
}

async function recordComplaintEvent(db: DataSource, input: ComplaintEventInput): Promise<void> {
  await assertComplaintExists(db, input.complaintId);
  await db.transaction(async (m) => {
    const inserted: unknown[] = await m.query(
      `INSERT INTO complaint_events (event_id, complaint_id, kind, actor, at, details) VALUES ($1,$2,$3,$4,$5,$6)
         ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
      [input.eventId, input.complaintId, input.kind, input.actor, input.at, JSON.stringify(input.details)],
    );
    if (inserted.length > 0 && AUDITED_WORKFLOW_EVENTS.has(input.kind)) {
      await appendAudit(m, {
        ...WORKFLOW_ACTOR,
        action: `complaint.${input.kind}`,
        targetType: 'complaint',
        targetId: input.complaintId,
        details: { ...input.details, eventId: input.eventId },
      });
    }
  });
}

async function notifyAboutComplaint(db: DataSource, input: ComplaintNotificationInput): Promise<void> {
  await db.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
       VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (event_id) DO NOTHING`,
    [input.eventId, input.kind, input.caseId, input.recipientRole, input.recipientId, JSON.stringify(input.payload)],
  );
}

async function eraseComplaintData(
  db: DataSource,
  { complaintId, eventId, at }: { complaintId: string; eventId: string; at: string },
): Promise<{ erased: boolean }> {
  return db.transaction(async (m) => {
    const [c] = await m.query('SELECT erased_at, key_scope FROM complaints WHERE id = $1 FOR UPDATE', [complaintId]);
    if (!c) throw ApplicationFailure.nonRetryable(`complaint ${complaintId} does not exist`, 'complaint_not_found');
    if (c.erased_at) return { erased: false };
    // The key first: whatever copy of the sealed text survives (a backup) can no longer be opened.
    await m.query('DELETE FROM complaint_data_keys WHERE complaint_id = $1', [complaintId]);
    await m.query('UPDATE complaint_events SET note_sealed = NULL WHERE complaint_id = $1', [complaintId]);
    await m.query(
      `UPDATE complaints SET sealed = NULL, erased_at = $2, state = 'erased', next_due_at = NULL, updated_at = now() WHERE id = $1`,
      [complaintId, at],
    );
    await appendAudit(m, {
      ...WORKFLOW_ACTOR,
      action: 'complaint.erased',
      targetType: 'complaint',
      targetId: complaintId,
      details: { keyScope: c.key_scope, eventId },
    });
    return { erased: true };
  });
}
