import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { auditAppendArgs } from '../../../platform/audit/log';
import type { CaseProjectionInput, ContactLogInput, LeadActivities } from './contract';
import { caseMissing } from './case-row';

/** The projection of a case, written only over an older one. */
const PROJECT_CASE_SQL = `UPDATE lead_cases SET stage=$3, is_open=$4, risk_tier=$5, broker_id=$6, consent_state=$7, sla_due_at=$8, sla_kind=$9,
   do_not_contact=$10, selected_product_id=$11, outcome=$12, closed_at=$13, retention_due_at=$14, legal_hold=$15,
   projection_seq=$2, updated_at=now()
 WHERE id=$1 AND projection_seq < $2 RETURNING 1`;
/**
 * What became of a projection (the CTE \`projected\`), seen in the statement's own snapshot: whether
 * it was written, and else the row's sequence, or none when the row is not there. Asking in a later
 * statement would race the intake: its commit could land in between, and a projection that was
 * not written would pass for one a newer projection had overtaken.
 */
const PROJECTION_OUTCOME_SQL = `SELECT (SELECT count(*) FROM projected)::int AS written,
   (SELECT projection_seq FROM lead_cases WHERE id = $1) AS current_seq`;
const PROJECTION_PARAMS = 15;

function projectionParams({ caseId, seq, projection: p }: CaseProjectionInput): unknown[] {
  return [
    caseId,
    seq,
    p.stage,
    p.isOpen,
    p.riskTier,
    p.brokerId,
    p.consentState,
    p.slaDueAt,
    p.slaKind,
    p.doNotContact,
    p.selectedProductId,
    p.outcome,
    p.closedAt,
    p.retentionDueAt,
    p.legalHold,
  ];
}

const INSERT_CONTACT_SQL = `INSERT INTO contact_log (event_id, case_id, broker_id, channel, purpose, outcome, local_day, at)
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`;

const CONTACT_PARAMS = 8;
/** audit_append's eight parameters, numbered from 1 (see `auditAppendArgs`). */
const AUDIT_APPEND_CALL = '$1::timestamptz,$2,$3,$4,$5,$6,$7::jsonb,$8';

function contactParams(c: ContactLogInput): unknown[] {
  return [c.eventId, c.caseId, c.brokerId, c.channel, c.purpose, c.outcome, c.localDay, c.at];
}

/** Renumbers a statement's parameters `$n` to `$(n + by)`, so it can follow others in one statement. */
const shiftParams = (sql: string, by: number) => sql.replace(/\$(\d+)/g, (_, n) => `$${Number(n) + by}`);

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
    const [outcome] = await db.query(
      `WITH projected AS (${PROJECT_CASE_SQL}) ${PROJECTION_OUTCOME_SQL}`,
      projectionParams(input),
    );
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
  const holdAt = PROJECTION_PARAMS;
  const auditAt = holdAt + 3;
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
  const [outcome] = await db.query(
    `WITH held AS (INSERT INTO legal_hold_events (case_id, hold, reason, actor, request_key) VALUES ($1, $${holdAt + 1}, NULL, $${holdAt + 2}, $${holdAt + 3})
                       ON CONFLICT (request_key) DO NOTHING RETURNING 1),
         audited AS (SELECT audit_append(${shiftParams(AUDIT_APPEND_CALL, auditAt)}) FROM held),
         projected AS (${PROJECT_CASE_SQL})
         ${PROJECTION_OUTCOME_SQL}, (SELECT count(*) FROM audited)::int AS audited`,
    [...projectionParams(input), hold, `${actor.role}:${actor.sub}`, holdEventKey(eventId), ...audit],
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
  const contactAt = PROJECTION_PARAMS;
  const auditAt = contactAt + CONTACT_PARAMS;
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
  const [outcome] = await db.query(
    `WITH logged AS (${shiftParams(INSERT_CONTACT_SQL, contactAt)} ON CONFLICT (event_id) DO NOTHING RETURNING 1),
         projected AS (${PROJECT_CASE_SQL})
         ${audit ? `, audited AS (SELECT audit_append(${shiftParams(AUDIT_APPEND_CALL, auditAt)}) FROM logged)` : ''}
         ${PROJECTION_OUTCOME_SQL}${audit ? ', (SELECT count(*) FROM audited)::int AS audited' : ''}`,
    [...projectionParams(projection), ...contactParams(entry), ...(audit ?? [])],
  );
  settleProjection(entry.caseId, projection.seq, entry.at, outcome);
}
