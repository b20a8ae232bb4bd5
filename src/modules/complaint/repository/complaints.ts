import type { EntityManager } from 'typeorm';
import type { ComplaintListQuery } from '../schemas';
import { OPEN_COMPLAINT_STATES } from '../rules';

// The SQL of reading complaints, their events and data keys; ../service/complaints.ts holds who may see what.

type Queryable = Pick<EntityManager, 'query'>;

const COMPLAINT_COLUMNS = `c.id, c.workflow_id, c.case_id, c.channel_id, c.broker_id, c.category, c.requested_priority, c.priority, c.priority_raised_by,
  c.about_contact, c.do_not_contact, c.state, c.filed_by, c.filed_at, c.key_scope, c.first_response_due_at, c.first_responded_at,
  c.late_first_response, c.resolution_due_at, c.late_resolution, c.next_due_at, c.escalated_teams, c.escalated_at, c.times_reopened,
  c.resolution, c.satisfaction, c.closed_at, c.retention_due_at, c.erased_at, c.legal_hold,
  lc.broker_id AS case_broker_id, lc.submitted_by AS case_submitted_by`;

export type ComplaintRow = Record<string, unknown> & {
  id: string;
  case_id: string | null;
  channel_id: string | null;
  filed_by: string;
  filed_at: Date;
  key_scope: 'case' | 'complaint';
  case_broker_id: string | null;
  case_submitted_by: string | null;
};

/** The complaint with its case's broker and submitter, or undefined. */
export async function findComplaintRow(db: Queryable, complaintId: string): Promise<ComplaintRow | undefined> {
  const [row] = await db.query(
    `SELECT ${COMPLAINT_COLUMNS} FROM complaints c LEFT JOIN lead_cases lc ON lc.id = c.case_id WHERE c.id = $1`,
    [complaintId],
  );
  return row;
}

/** Who a page of complaints is fenced to: a broker's own cases, or a channel's. */
export type ComplaintFence = { broker: string } | { channelId: string | undefined } | null;

export interface ComplaintPageQuery extends Omit<ComplaintListQuery, 'cursor' | 'limit'> {
  fence: ComplaintFence;
  /** The (filed_at, id) of the last row of the previous page. */
  after?: [string, string];
  limit: number;
}

/** Newest first, keyset-paginated on (filed_at, id); `limit` rows at most. */
export async function findComplaintPage(db: Queryable, q: ComplaintPageQuery): Promise<ComplaintRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (q.fence && 'broker' in q.fence) {
    const sub = param(q.fence.broker);
    where.push(
      `(CASE WHEN c.case_id IS NULL THEN c.filed_by = 'broker:' || ${sub} ELSE (lc.broker_id = ${sub} OR lc.submitted_by = 'broker:' || ${sub}) END)`,
    );
  }
  if (q.fence && 'channelId' in q.fence) where.push(`c.channel_id = ${param(q.fence.channelId)}`);
  if (q.state) where.push(`c.state = ${param(q.state)}`);
  if (q.priority) where.push(`c.priority = ${param(q.priority)}`);
  if (q.category) where.push(`c.category = ${param(q.category)}`);
  if (q.caseId) where.push(`c.case_id = ${param(q.caseId)}`);
  if (q.overdue !== undefined) {
    const overdue = `(c.state = ANY(${param(OPEN_COMPLAINT_STATES)}) AND c.next_due_at < now())`;
    where.push(q.overdue ? overdue : `NOT ${overdue}`);
  }
  if (q.after) {
    const [at, id] = q.after;
    where.push(`(c.filed_at, c.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
  }
  return db.query(
    `SELECT ${COMPLAINT_COLUMNS} FROM complaints c LEFT JOIN lead_cases lc ON lc.id = c.case_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.filed_at DESC, c.id DESC LIMIT ${param(q.limit)}`,
    params,
  );
}

export interface WrappedKeyRow {
  master_key_id: string;
  wrapped_key: Buffer;
}

/** The case's wrapped data key, or undefined once the case is erased. */
export async function findCaseDataKey(db: Queryable, caseId: string | null): Promise<WrappedKeyRow | undefined> {
  const [k] = await db.query('SELECT master_key_id, wrapped_key FROM lead_data_keys WHERE case_id = $1', [caseId]);
  return k;
}

/** The complaint's own wrapped data key, or undefined when it has none (or it is erased). */
export async function findComplaintDataKey(db: Queryable, complaintId: string): Promise<WrappedKeyRow | undefined> {
  const [k] = await db.query('SELECT master_key_id, wrapped_key FROM complaint_data_keys WHERE complaint_id = $1', [
    complaintId,
  ]);
  return k;
}

export interface ComplaintEventRow {
  event_id: string;
  kind: string;
  actor: string;
  at: Date;
  details: Record<string, unknown>;
  note_sealed: Buffer | null;
}

/** The complaint's events in the order they were recorded. */
export async function findComplaintEvents(db: Queryable, complaintId: string): Promise<ComplaintEventRow[]> {
  return db.query(
    'SELECT event_id, kind, actor, at, details, note_sealed FROM complaint_events WHERE complaint_id = $1 ORDER BY id',
    [complaintId],
  );
}

/** The complaint's sealed filing text (null once erased). */
export async function findSealedFiling(db: Queryable, complaintId: string): Promise<{ sealed: Buffer | null }> {
  const [row] = await db.query('SELECT sealed FROM complaints WHERE id = $1', [complaintId]);
  return row;
}

/** Attaches a sealed note to the event an action recorded. */
export async function setEventNote(db: Queryable, eventId: string, noteSealed: Buffer): Promise<void> {
  await db.query('UPDATE complaint_events SET note_sealed = $2 WHERE event_id = $1', [eventId, noteSealed]);
}
