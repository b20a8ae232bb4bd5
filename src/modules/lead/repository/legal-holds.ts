import type { DataSource, EntityManager } from 'typeorm';

/** The legal-hold events of a case and the hold flag on its row; the checks are in ../service/legal-holds. */

/**
 * Records a hold event unless the case has been erased meanwhile, then returns its id; undefined when
 * this request key was recorded already. A release lets the workflow erase at once, maybe before
 * this runs: the case row's share lock orders this insert and the erasure (which locks the row for
 * update), so a reason that arrives after the erasure is not stored, one stored before it is cleared by it.
 */
export async function insertHoldEventUnlessErased(
  m: EntityManager,
  e: { caseId: string; hold: boolean; reason: string; actor: string; requestKey: string | null },
): Promise<string | undefined> {
  const [row] = await m.query(
    `WITH c AS (SELECT erased_at FROM lead_cases WHERE id = $1 FOR SHARE)
     INSERT INTO legal_hold_events (case_id, hold, reason, actor, request_key)
     SELECT $1, $2, CASE WHEN c.erased_at IS NULL THEN $3 END, $4, $5 FROM c
     ON CONFLICT (request_key) DO NOTHING RETURNING id`,
    [e.caseId, e.hold, e.reason, e.actor, e.requestKey],
  );
  return row ? String(row.id) : undefined;
}

/** The case row's hold, locked for update until the transaction ends. */
export async function lockCaseHold(
  m: EntityManager,
  caseId: string,
): Promise<{ legal_hold: boolean; erased_at: Date | null } | undefined> {
  const [row] = await m.query('SELECT legal_hold, erased_at FROM lead_cases WHERE id = $1 FOR UPDATE', [caseId]);
  return row;
}

export async function holdEventRecorded(m: EntityManager, requestKey: string): Promise<boolean> {
  return (await m.query('SELECT 1 FROM legal_hold_events WHERE request_key = $1', [requestKey])).length > 0;
}

/** Sets the hold on the case row and records its event; returns the event's id. */
export async function setCaseHold(
  m: EntityManager,
  e: { caseId: string; hold: boolean; reason: string; actor: string; requestKey: string | null },
): Promise<string> {
  await m.query('UPDATE lead_cases SET legal_hold = $2, updated_at = now() WHERE id = $1', [e.caseId, e.hold]);
  const [event] = await m.query(
    'INSERT INTO legal_hold_events (case_id, hold, reason, actor, request_key) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [e.caseId, e.hold, e.reason, e.actor, e.requestKey],
  );
  return String(event.id);
}

/** The case's hold events, oldest first. */
export async function findHoldEvents(
  db: DataSource,
  caseId: string,
): Promise<{ id: string; hold: boolean; reason: string | null; actor: string; at: Date }[]> {
  return db.query(
    'SELECT id::text AS id, hold, reason, actor, at FROM legal_hold_events WHERE case_id = $1 ORDER BY legal_hold_events.id',
    [caseId],
  );
}
