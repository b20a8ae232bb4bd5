import type { DataSource } from 'typeorm';
import { funnelRows, overdueByBroker, slaMarksByBroker, stageCounts, type FunnelQuery } from '../repository/reports';

export type { FunnelQuery };

/**
 * The funnel: cases opened in the period, by stage reached and outcome, with conversion, grouped
 * by channel or broker. Computed from the projection in Postgres.
 */
export async function funnelReport(db: DataSource, q: FunnelQuery) {
  const rows = await funnelRows(db, q);
  const stages = await stageCounts(db, q);
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
  const marks = await slaMarksByBroker(db, q);
  const overdue = await overdueByBroker(db);
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
