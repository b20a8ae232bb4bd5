import type { DataSource } from 'typeorm';

export interface FunnelQuery {
  from: Date;
  to: Date;
  groupBy: 'channel' | 'broker' | 'none';
  /** Also split each group by the period the case was opened in (read in `timeZone`). */
  period?: 'day' | 'week' | 'month';
  timeZone?: string;
}

/**
 * The funnel: cases opened in the period, by stage reached and outcome, with conversion, grouped
 * by channel or broker. Computed from the projection in Postgres.
 */
export async function funnelReport(db: DataSource, q: FunnelQuery) {
  const group =
    q.groupBy === 'channel' ? 'channel_id' : q.groupBy === 'broker' ? "coalesce(broker_id, 'pool')" : "'all'";
  const params: unknown[] = [q.from, q.to];
  let period = 'NULL::text';
  if (q.period) {
    params.push(q.period, q.timeZone ?? 'UTC');
    period = `to_char(date_trunc($3, created_at AT TIME ZONE $4), 'YYYY-MM-DD')`;
  }
  const rows: Record<string, number | string>[] = await db.query(
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
  const stages: { stage: string; n: number }[] = await db.query(
    `SELECT stage, count(*)::int AS n FROM lead_cases WHERE created_at >= $1 AND created_at < $2 GROUP BY stage ORDER BY stage`,
    [q.from, q.to],
  );
  const pct = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1000) / 10);
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    groupBy: q.groupBy,
    ...(q.period ? { period: q.period, timeZone: q.timeZone ?? 'UTC' } : {}),
    byStage: Object.fromEntries(stages.map((s) => [s.stage, s.n])),
    groups: rows.map((r) => ({
      key: r.key,
      ...(q.period ? { periodStart: r.period_start } : {}),
      leads: r.leads,
      consented: r.consented,
      tiers: { A: r.tier_a, B: r.tier_b, C: r.tier_c },
      assigned: r.assigned,
      submitted: r.submitted,
      approved: r.approved,
      slaBreached: r.sla_breached,
      erased: r.erased,
      conversionPct: pct(Number(r.approved), Number(r.leads)),
    })),
  };
}

export interface SlaBreachQuery {
  from: Date;
  to: Date;
}

/**
 * SLA breaches by broker: deadlines that passed in the period (the workflow's escalation mark at
 * 100 %) and cases taken away at 200 %, from the notifications the workflows wrote, beside each
 * broker's cases overdue right now. Served by notifications (kind, created_at).
 */
export async function slaBreachReport(db: DataSource, q: SlaBreachQuery) {
  const marks: {
    broker_id: string | null;
    breached: number;
    first_contact: number;
    follow_up: number;
    reassigned: number;
  }[] = await db.query(
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
  const overdue: { broker_id: string | null; n: number; oldest: Date }[] = await db.query(
    `SELECT broker_id, count(*)::int AS n, min(sla_due_at) AS oldest FROM lead_cases WHERE is_open AND sla_due_at < now() GROUP BY 1`,
  );
  const keyOf = (id: string | null) => id ?? 'pool';
  const byBroker = new Map<
    string,
    {
      brokerId: string;
      breached: number;
      firstContact: number;
      followUp: number;
      reassigned: number;
      overdueNow: number;
      oldestOverdueSince: string | null;
    }
  >();
  const entry = (id: string | null) => {
    const k = keyOf(id);
    if (!byBroker.has(k))
      byBroker.set(k, {
        brokerId: k,
        breached: 0,
        firstContact: 0,
        followUp: 0,
        reassigned: 0,
        overdueNow: 0,
        oldestOverdueSince: null,
      });
    return byBroker.get(k)!;
  };
  for (const m of marks)
    Object.assign(entry(m.broker_id), {
      breached: m.breached,
      firstContact: m.first_contact,
      followUp: m.follow_up,
      reassigned: m.reassigned,
    });
  for (const o of overdue)
    Object.assign(entry(o.broker_id), { overdueNow: o.n, oldestOverdueSince: new Date(o.oldest).toISOString() });
  const brokers = [...byBroker.values()].sort(
    (a, b) => b.breached - a.breached || b.overdueNow - a.overdueNow || a.brokerId.localeCompare(b.brokerId),
  );
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    totals: {
      breached: brokers.reduce((n, b) => n + b.breached, 0),
      reassigned: brokers.reduce((n, b) => n + b.reassigned, 0),
      overdueNow: brokers.reduce((n, b) => n + b.overdueNow, 0),
    },
    brokers,
  };
}
