import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { auditAppendArgs } from '../../../platform/audit/log';
import type { CaseProjectionInput, LeadActivities } from './contract';
import { caseMissing } from './case-row';
import { writeContactAttempt, writeProjection, writeProjectionWithHold } from '../repository/projection';

/** The `request_key` of the legal-hold event a case's workflow wrote for its event `eventId`. */
export const holdEventKey = (eventId: string) => `workflow:${eventId}`;

/**
 * Settles a projection statement's outcome: written, or overtaken by a newer one, is done; a row
 * not there yet is retried (its intake may still be committing) until the grace runs out.
 */
function settleProjection(
  caseId: string,
  seq: number,
  askedAt: string | undefined,
  outcome: { written: number; current_seq: number | null },
): void {
  if (outcome.written > 0) return;
  if (outcome.current_seq === null) caseMissing(caseId, askedAt);
  // The row changed under the statement (a concurrent projection): ask again.
  if (outcome.current_seq < seq)
    throw ApplicationFailure.retryable(`the projection of case ${caseId} met a concurrent one`, 'projection_contended');
}

export async function projectCase(db: DataSource, input: CaseProjectionInput): Promise<void> {
  if (!input.holdEvent) {
    const outcome = await writeProjection(db, input);
    settleProjection(input.caseId, input.seq, input.at, outcome);
    return;
  }
  await projectCaseWithHold(db, input, input.holdEvent);
}

/**
 * A legal hold placed or released: its event (keyed by the workflow's event, so a retry adds
 * none), the audit row that follows that insert, and the projection, in one statement. The
 * reason, free text, is attached to the event by the API afterwards, never put in the chain.
 */
async function projectCaseWithHold(
  db: DataSource,
  input: CaseProjectionInput,
  { eventId, hold, actor }: NonNullable<CaseProjectionInput['holdEvent']>,
): Promise<void> {
  const audit = auditAppendArgs(
    {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: hold ? 'legal_hold.placed' : 'legal_hold.released',
      targetType: 'lead_case',
      targetId: input.caseId,
      details: { eventId },
    },
    new Date(),
  );
  const outcome = await writeProjectionWithHold(
    db,
    input,
    { hold, actor: `${actor.role}:${actor.sub}`, requestKey: holdEventKey(eventId) },
    audit,
  );
  settleProjection(input.caseId, input.seq, input.at, outcome);
}

/**
 * One statement, so one round trip and one implicit transaction: the log entry, the projection
 * and the audit row land together or not at all. The audit row follows the log entry's insert,
 * so a retry after a commit whose answer was lost (the entry is there) appends no second row.
 */
export async function recordContactAttempt(
  db: DataSource,
  { entry, case: projection, auditedBy }: Parameters<LeadActivities['recordContactAttempt']>[0],
): Promise<void> {
  const audit = auditedBy
    ? auditAppendArgs(
        {
          actorSub: auditedBy.sub,
          actorRole: auditedBy.role,
          action: 'contact.logged',
          targetType: 'lead_case',
          targetId: entry.caseId,
          details: { channel: entry.channel, purpose: entry.purpose, outcome: entry.outcome, eventId: entry.eventId },
        },
        new Date(),
      )
    : null;
  const outcome = await writeContactAttempt(db, projection, entry, audit);
  settleProjection(entry.caseId, projection.seq, entry.at, outcome);
}
