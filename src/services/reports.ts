import type { DataSource } from 'typeorm';

export interface FunnelQuery {
  from: Date;
  to: Date;
  groupBy: 'channel' | 'broker' | 'none';
}

/**
 * The funnel: cases opened in the period, by stage reached and outcome, with conversion, grouped
 * by channel or broker. Computed from the projection in Postgres.
 */
export async function funnelReport(db: DataSource, q: FunnelQuery) {
  const group = q.groupBy === 'channel' ? 'channel_id' : q.groupBy === 'broker' ? "coalesce(broker_id, 'pool')" : "'all'";
  const rows: Record<string, number | string>[] = await db.query(
    `SELECT ${group} AS key,
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
      GROUP BY 1 ORDER BY leads DESC, key`,
    [q.from, q.to],
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
    byStage: Object.fromEntries(stages.map((s) => [s.stage, s.n])),
    groups: rows.map((r) => ({
      key: r.key,
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
