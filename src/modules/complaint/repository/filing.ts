import type { EntityManager } from 'typeorm';

// The SQL of filing a complaint; ../service/filing.ts holds the decisions and the transaction.

type Queryable = Pick<EntityManager, 'query'>;

/** How many of the case's complaints are in one of `states`. */
export async function countComplaintsOnCase(db: Queryable, caseId: string, states: string[]): Promise<number> {
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM complaints WHERE case_id = $1 AND state = ANY($2)', [
    caseId,
    states,
  ]);
  return n;
}

export interface NewComplaintRow {
  complaintId: string;
  workflowId: string;
  caseId: string | null;
  channelId: string | null;
  brokerId: string | null;
  category: string;
  requestedPriority: string | undefined;
  priority: string;
  priorityRaisedBy: string[];
  aboutContact: boolean;
  doNotContact: 'requested' | 'not_needed';
  filedBy: string;
  filedAt: Date;
  keyScope: 'case' | 'complaint';
  sealed: Buffer;
  firstResponseDueAt: Date | string;
  resolutionDueAt: Date | string;
}

/** The complaint row, awaiting its first response, which is also its next deadline. */
export async function insertComplaintRow(m: Queryable, c: NewComplaintRow): Promise<void> {
  await m.query(
    `INSERT INTO complaints (id, workflow_id, case_id, channel_id, broker_id, category, requested_priority, priority, priority_raised_by,
       about_contact, do_not_contact, state, filed_by, filed_at, key_scope, sealed, first_response_due_at, resolution_due_at, next_due_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'awaiting_response',$12,$13,$14,$15,$16,$17,$16)`,
    [
      c.complaintId,
      c.workflowId,
      c.caseId,
      c.channelId,
      c.brokerId,
      c.category,
      c.requestedPriority,
      c.priority,
      c.priorityRaisedBy,
      c.aboutContact,
      c.doNotContact,
      c.filedBy,
      c.filedAt,
      c.keyScope,
      c.sealed,
      c.firstResponseDueAt,
      c.resolutionDueAt,
    ],
  );
}

export async function insertComplaintDataKey(
  m: Queryable,
  complaintId: string,
  masterKeyId: string,
  wrappedKey: Buffer,
): Promise<void> {
  await m.query('INSERT INTO complaint_data_keys (complaint_id, master_key_id, wrapped_key) VALUES ($1,$2,$3)', [
    complaintId,
    masterKeyId,
    wrappedKey,
  ]);
}

/** The complaint's first event, 'filed'. */
export async function insertFiledEvent(
  m: Queryable,
  e: { eventId: string; complaintId: string; actor: string; at: Date; details: Record<string, unknown> },
): Promise<void> {
  await m.query(
    `INSERT INTO complaint_events (event_id, complaint_id, kind, actor, at, details) VALUES ($1,$2,'filed',$3,$4,$5)`,
    [e.eventId, e.complaintId, e.actor, e.at, JSON.stringify(e.details)],
  );
}

/** Stores the answer to a repeat of the filing request, under the idempotency key the request holds. */
export async function storeIdempotentAnswer(
  m: Queryable,
  idempotency: { scope: string; key: string },
  response: unknown,
): Promise<void> {
  await m.query(
    'UPDATE idempotency_keys SET status_code = 201, response = $3 WHERE scope = $1 AND key = $2 AND status_code = 0',
    [idempotency.scope, idempotency.key, JSON.stringify(response)],
  );
}
