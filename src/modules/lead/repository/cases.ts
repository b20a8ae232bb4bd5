import type { DataSource } from 'typeorm';

/** The reads of a case row, and free text stored beside the workflow's records; the checks are in ../service. */

const CASE_COLUMNS = `id, workflow_id, channel_id, channel_grade, stage, is_open, risk_tier, broker_id, consent_state, vulnerable, is_local,
  amount_cny, term_months, loan_purpose, occupation, age_band, province_code, region_prefix, sla_due_at, sla_kind, do_not_contact,
  selected_product_id, outcome, closed_at, retention_due_at, legal_hold, erased_at, submitted_by, created_at, updated_at`;

export type CaseRow = Record<string, unknown> & {
  id: string;
  broker_id: string | null;
  channel_id: string;
  submitted_by: string;
  erased_at: Date | null;
};

export async function findCaseRow(db: DataSource, caseId: string): Promise<CaseRow | undefined> {
  const [row] = await db.query(`SELECT ${CASE_COLUMNS} FROM lead_cases WHERE id = $1`, [caseId]);
  return row;
}

/** The case's identity, still sealed, with its wrapped data key. */
export async function findSealedIdentity(
  db: DataSource,
  caseId: string,
): Promise<{ sealed: Buffer; wrapped_key: Buffer; master_key_id: string } | undefined> {
  const [row] = await db.query(
    'SELECT i.sealed, k.wrapped_key, k.master_key_id FROM identities i JOIN lead_data_keys k ON k.case_id = i.case_id WHERE i.case_id = $1',
    [caseId],
  );
  return row;
}

/** A column a case list is filtered on by equality. */
export type CaseFilter = { column: 'broker_id' | 'channel_id' | 'stage' | 'risk_tier'; value: unknown };

export interface CasePageQuery {
  filters: CaseFilter[];
  breached?: boolean;
  /** The (created_at, id) of the last row of the previous page. */
  after?: [string, string];
  limit: number;
}

/** Newest first, keyset-paginated on (created_at, id); `limit` rows at most. */
export async function findCasePage(db: DataSource, q: CasePageQuery): Promise<CaseRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const { column, value } of q.filters) {
    params.push(value);
    where.push(`${column} = $${params.length}`);
  }
  if (q.breached !== undefined)
    where.push(
      q.breached ? 'is_open AND sla_due_at < now()' : 'NOT (is_open AND sla_due_at IS NOT NULL AND sla_due_at < now())',
    );
  if (q.after) {
    params.push(...q.after);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(q.limit);
  return db.query(
    `SELECT ${CASE_COLUMNS} FROM lead_cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
}

/**
 * Free text a person typed (a contact note, a review reason) goes beside the record its workflow
 * made, in Postgres, after the Update has answered. The case row's share lock orders that write
 * against an erasure, which locks the row for update: text written first is cleared by the erasure,
 * text that comes after it is not stored. Returns whether it was stored.
 */
async function attachCaseText(db: DataSource, caseId: string, update: string, params: unknown[]): Promise<boolean> {
  const [{ n }] = await db.query(
    `WITH live AS (SELECT 1 FROM lead_cases WHERE id = $1 AND erased_at IS NULL FOR SHARE),
          done AS (${update} AND EXISTS (SELECT 1 FROM live) RETURNING 1)
     SELECT count(*)::int AS n FROM done`,
    [caseId, ...params],
  );
  return n > 0;
}

/** The broker's note on a contact attempt the workflow logged. */
export const attachContactNote = (db: DataSource, caseId: string, eventId: string, note: string) =>
  attachCaseText(db, caseId, 'UPDATE contact_log SET note = $3 WHERE event_id = $2', [eventId, note]);

/** The free-text reason of a decision the workflow recorded (a review, a request for human review). */
export const attachDecisionReason = (db: DataSource, caseId: string, eventId: string, reason: string) =>
  attachCaseText(
    db,
    caseId,
    `UPDATE decisions SET result = result || jsonb_build_object('reason', $3::text) WHERE event_id = $2`,
    [eventId, reason],
  );

/** The reason of a legal-hold event the workflow recorded, found by its request key. */
export const attachHoldReason = (db: DataSource, caseId: string, requestKey: string, reason: string) =>
  attachCaseText(db, caseId, 'UPDATE legal_hold_events SET reason = $3 WHERE request_key = $2 AND case_id = $1', [
    requestKey,
    reason,
  ]);
