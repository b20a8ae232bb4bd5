import type { EntityManager } from 'typeorm';
import type { DecisionInput, NotificationInput } from '../activities/contract';

// The SQL of a case's own writes (../activities/case.ts, case-row.ts): every write keyed by eventId.

type Queryable = Pick<EntityManager, 'query'>;

/** The whole case row, or undefined while it is not there (or not yet visible). */
export async function findCaseRowById(m: Queryable, caseId: string): Promise<unknown> {
  const [row] = await m.query('SELECT * FROM lead_cases WHERE id = $1', [caseId]);
  return row;
}

/** One consent row of an event; returns how many rows this call inserted (0 on a retry). */
export async function insertConsent(
  m: Queryable,
  c: {
    eventId: string;
    caseId: string;
    purpose: string;
    action: string;
    noticeVersion: string | null | undefined;
    source: string;
    evidence: string;
    at: string;
    lenderId: string | null;
  },
): Promise<number> {
  const rows = await m.query(
    `INSERT INTO consents (event_id, case_id, purpose, action, notice_version, source, evidence, at, lender_id)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING RETURNING 1`,
    [c.eventId, c.caseId, c.purpose, c.action, c.noticeVersion, c.source, c.evidence, c.at, c.lenderId],
  );
  return rows.length;
}

export async function consentNoticeExists(db: Queryable, version: string): Promise<boolean> {
  const [notice] = await db.query('SELECT 1 FROM consent_notices WHERE version = $1', [version]);
  return Boolean(notice);
}

/** The active broker with the fewest open cases (this one aside), preferring the channel's team. */
export async function pickBroker(
  db: Queryable,
  channelId: string,
  excludeBrokerIds: string[],
  caseId: string,
): Promise<{ id: string } | undefined> {
  const [pick] = await db.query(
    `SELECT b.id FROM brokers b
           LEFT JOIN channels ch ON ch.id = $1
           LEFT JOIN lead_cases lc ON lc.broker_id = b.id AND lc.is_open AND lc.id <> $3
          WHERE b.active AND NOT (b.id = ANY($2))
          GROUP BY b.id, b.team, ch.team
          ORDER BY (b.team IS NOT DISTINCT FROM ch.team) DESC, count(lc.id) ASC, b.id ASC
          LIMIT 1`,
    [channelId, excludeBrokerIds, caseId],
  );
  return pick;
}

/** Records the decision once per eventId; says whether this call inserted it. */
export async function insertDecision(m: Queryable, input: DecisionInput): Promise<boolean> {
  const inserted = await m.query(
    `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, decided_by, decided_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
    [input.eventId, input.caseId, input.kind, input.tier, input.outcome, input.decidedBy, input.at],
  );
  return inserted.length > 0;
}

/** Queues the notification in the outbox, once per eventId. */
export async function insertNotification(db: Queryable, input: NotificationInput): Promise<void> {
  await db.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
         VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (event_id) DO NOTHING`,
    [input.eventId, input.kind, input.caseId, input.recipientRole, input.recipientId, JSON.stringify(input.payload)],
  );
}
