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
import {
  complaintExists,
  eraseComplaintRows,
  insertComplaintEvent,
  insertComplaintNotification,
  lockComplaintForErasure,
  writeComplaintProjection,
} from './repository/lifecycle';

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
  if (!(await complaintExists(db, complaintId))) complaintMissing(complaintId);
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
  const outcome = await writeComplaintProjection(db, complaintId, seq, p);
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
    const inserted = await insertComplaintEvent(m, input);
    if (inserted && AUDITED_WORKFLOW_EVENTS.has(input.kind)) {
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
  await insertComplaintNotification(db, input);
}

async function eraseComplaintData(
  db: DataSource,
  { complaintId, eventId, at }: { complaintId: string; eventId: string; at: string },
): Promise<{ erased: boolean }> {
  return db.transaction(async (m) => {
    const c = await lockComplaintForErasure(m, complaintId);
    if (!c) throw ApplicationFailure.nonRetryable(`complaint ${complaintId} does not exist`, 'complaint_not_found');
    if (c.erased_at) return { erased: false };
    // The key first: whatever copy of the sealed text survives (a backup) can no longer be opened.
    await eraseComplaintRows(m, complaintId, at);
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
