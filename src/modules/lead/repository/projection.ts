import type { EntityManager } from 'typeorm';
import type { CaseProjectionInput, ContactLogInput } from '../activities/contract';

// The SQL of a case's projection (../activities/projection.ts settles the outcome): one statement each.

type Queryable = Pick<EntityManager, 'query'>;

/** What became of a projection: whether it was written, and else the row's sequence (null: no row). */
export interface ProjectionOutcome {
  written: number;
  current_seq: number | null;
}

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

/** Writes the projection over an older one. */
export async function writeProjection(db: Queryable, input: CaseProjectionInput): Promise<ProjectionOutcome> {
  const [outcome] = await db.query(
    `WITH projected AS (${PROJECT_CASE_SQL}) ${PROJECTION_OUTCOME_SQL}`,
    projectionParams(input),
  );
  return outcome;
}

/**
 * The hold event (keyed by `requestKey`, so a retry adds none), the audit row (`audit`: the
 * arguments of audit_append) only after that insert, and the projection, in one statement.
 */
export async function writeProjectionWithHold(
  db: Queryable,
  input: CaseProjectionInput,
  hold: { hold: boolean; actor: string; requestKey: string },
  audit: readonly unknown[],
): Promise<ProjectionOutcome> {
  const holdAt = PROJECTION_PARAMS;
  const auditAt = holdAt + 3;
  const [outcome] = await db.query(
    `WITH held AS (INSERT INTO legal_hold_events (case_id, hold, reason, actor, request_key) VALUES ($1, $${holdAt + 1}, NULL, $${holdAt + 2}, $${holdAt + 3})
                       ON CONFLICT (request_key) DO NOTHING RETURNING 1),
         audited AS (SELECT audit_append(${shiftParams(AUDIT_APPEND_CALL, auditAt)}) FROM held),
         projected AS (${PROJECT_CASE_SQL})
         ${PROJECTION_OUTCOME_SQL}, (SELECT count(*) FROM audited)::int AS audited`,
    [...projectionParams(input), hold.hold, hold.actor, hold.requestKey, ...audit],
  );
  return outcome;
}

/**
 * The contact log entry (keyed by its eventId), the projection and, with `audit` (audit_append's
 * arguments), the audit row only after the entry's insert, in one statement.
 */
export async function writeContactAttempt(
  db: Queryable,
  projection: CaseProjectionInput,
  entry: ContactLogInput,
  audit: readonly unknown[] | null,
): Promise<ProjectionOutcome> {
  const contactAt = PROJECTION_PARAMS;
  const auditAt = contactAt + CONTACT_PARAMS;
  const [outcome] = await db.query(
    `WITH logged AS (${shiftParams(INSERT_CONTACT_SQL, contactAt)} ON CONFLICT (event_id) DO NOTHING RETURNING 1),
         projected AS (${PROJECT_CASE_SQL})
         ${audit ? `, audited AS (SELECT audit_append(${shiftParams(AUDIT_APPEND_CALL, auditAt)}) FROM logged)` : ''}
         ${PROJECTION_OUTCOME_SQL}${audit ? ', (SELECT count(*) FROM audited)::int AS audited' : ''}`,
    [...projectionParams(projection), ...contactParams(entry), ...(audit ?? [])],
  );
  return outcome;
}
