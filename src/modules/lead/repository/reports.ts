import type { DataSource } from 'typeorm';

/** The SQL of the managers' reports over the case projection and notifications; ../service/reports shapes them. */

export interface FunnelQuery {
  from: Date;
  to: Date;
  groupBy: 'channel' | 'broker' | 'none';
  /** Also split each group by the period the case was opened in (read in `timeZone`). */
  period?: 'day' | 'week' | 'month';
  timeZone?: string;
}

/** One funnel row per group (and period), largest first. */
export async function funnelRows(db: DataSource, q: FunnelQuery): Promise<Record<string, number | string>[]> {
  const group =
    q.groupBy === 'channel' ? 'channel_id' : q.groupBy === 'broker' ? "coalesce(broker_id, 'pool')" : "'all'";
  const params: unknown[] = [q.from, q.to];
  let period = 'NULL::text';
  if (q.period) {
    params.push(q.period, q.timeZone ?? 'UTC');
    period = `to_char(date_trunc($3, created_at AT TIME ZONE $4), 'YYYY-MM-DD')`;
  }
  return db.query(
    `SELECT ${group} AS key, ${period} AS period_start,
            count(*)::int AS leads,
            count(*) FILTER (WHERE consent_state IN ('granted','partial') OR risk_tier IS NOT NULL)::int AS consented,
            count(*) FILTER (WHERE risk_tier = 'A')::int AS tier_a,
            count(*) FILTER (WHERE risk_tier = 'B')::int AS tier_b,
            count(*) FILTER (WHERE risk_tier = 'C')::int AS tier_c,
            count(*) FILTER (WHERE broker_id IS NOT NULL)::int AS assigned,
            count(*) FILTER (WHERE outcome IN ('submitted','approved','lender_declined'))::int AS submitted,
            count(*) FILTER (WHERE outcome = 'approved')::int AS approved,
            count(*) FILTER (WHERE is_open AND sla_due_at < now())::int AS sla_breached,
            count(*) FILTER (WHERE stage = 'erased')::int AS erased
       FROM lead_cases WHERE created_at >= $1 AND created_at < $2
      GROUP BY 1, 2 ORDER BY ${q.period ? 'period_start, ' : ''}leads DESC, key`,
    params,
  );
}

/** How many of the cases opened in the period are at each stage. */
export async function stageCounts(
  db: DataSource,
  q: { from: Date; to: Date },
): Promise<{ stage: string; n: number }[]> {
  return db.query(
    `SELECT stage, count(*)::int AS n FROM lead_cases WHERE created_at >= $1 AND created_at < $2 GROUP BY stage ORDER BY stage`,
    [q.from, q.to],
  );
}

export interface SlaMarksRow {
  broker_id: string | null;
  breached: number;
  first_contact: number;
  follow_up: number;
  reassigned: number;
}

/** Deadlines passed and cases taken away in the period, by broker, from the workflows' notifications. */
export async function slaMarksByBroker(db: DataSource, q: { from: Date; to: Date }): Promise<SlaMarksRow[]> {
  return db.query(
    `SELECT payload->>'brokerId' AS broker_id,
            count(*) FILTER (WHERE kind = 'sla_breached')::int AS breached,
            count(*) FILTER (WHERE kind = 'sla_breached' AND payload->>'deadline' = 'first_contact')::int AS first_contact,
            count(*) FILTER (WHERE kind = 'sla_breached' AND payload->>'deadline' = 'follow_up')::int AS follow_up,
            count(*) FILTER (WHERE kind = 'case_reassigned')::int AS reassigned
       FROM notifications
      WHERE kind IN ('sla_breached','case_reassigned') AND created_at >= $1 AND created_at < $2
      GROUP BY 1`,
    [q.from, q.to],
  );
}

/** Open cases past their deadline right now, by broker, with the oldest deadline. */
export async function overdueByBroker(
  db: DataSource,
): Promise<{ broker_id: string | null; n: number; oldest: Date }[]> {
  return db.query(
    `SELECT broker_id, count(*)::int AS n, min(sla_due_at) AS oldest FROM lead_cases WHERE is_open AND sla_due_at < now() GROUP BY 1`,
  );
}
