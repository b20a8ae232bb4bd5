import type { EntityManager } from 'typeorm';
import type { ChannelCounts } from '../rules';

export type Period = 'day' | 'week' | 'month';

export interface ChannelCountsQuery {
  from: Date;
  to: Date;
  /** One channel, or every channel that brought a case in the period. */
  channelId?: string;
  /** Split by the period the case was opened in, read in `timeZone`. */
  period?: Period;
  timeZone?: string;
}

export interface ChannelCountsRow extends ChannelCounts {
  channelId: string;
  /** Start of the period (local midnight, as an ISO date) when split by period. */
  periodStart?: string;
}

/**
 * Counts over the cases channels brought in [from, to), from the case projection and the lenders'
 * loan reports. Served by lead_cases (channel_id, created_at) for one channel and by
 * lead_cases (created_at) for all of them.
 */
export async function countChannelCases(m: EntityManager, q: ChannelCountsQuery): Promise<ChannelCountsRow[]> {
  const params: unknown[] = [q.from, q.to];
  let periodExpr = 'NULL::text';
  if (q.period) {
    params.push(q.period, q.timeZone ?? 'UTC');
    periodExpr = `to_char(date_trunc($3, c.created_at AT TIME ZONE $4), 'YYYY-MM-DD')`;
  }
  let channelFilter = '';
  if (q.channelId) {
    params.push(q.channelId);
    channelFilter = `AND c.channel_id = $${params.length}`;
  }
  const rows: Record<string, string | number | null>[] = await m.query(
    `SELECT c.channel_id, ${periodExpr} AS period_start,
            count(*)::int AS leads,
            count(*) FILTER (WHERE c.consent_state IN ('granted','partial') OR c.risk_tier IS NOT NULL)::int AS consented,
            count(*) FILTER (WHERE c.risk_tier IS NOT NULL)::int AS prescreened,
            count(*) FILTER (WHERE c.risk_tier = 'A')::int AS tier_a,
            count(*) FILTER (WHERE c.risk_tier = 'B')::int AS tier_b,
            count(*) FILTER (WHERE c.risk_tier = 'C')::int AS tier_c,
            count(*) FILTER (WHERE c.outcome IN ('approved','lender_declined'))::int AS lender_decided,
            count(*) FILTER (WHERE c.outcome = 'approved')::int AS approved,
            count(*) FILTER (WHERE c.outcome = 'approved' AND lp.status = 'bad')::int AS bad_loans,
            count(*) FILTER (WHERE c.fraud_flagged)::int AS fraud_flagged
       FROM lead_cases c LEFT JOIN loan_performance lp ON lp.case_id = c.id
      WHERE c.created_at >= $1 AND c.created_at < $2 ${channelFilter}
      GROUP BY 1, 2 ORDER BY 1, 2`,
    params,
  );
  return rows.map((r) => ({
    channelId: String(r.channel_id),
    ...(q.period ? { periodStart: String(r.period_start) } : {}),
    leads: Number(r.leads),
    consented: Number(r.consented),
    prescreened: Number(r.prescreened),
    tierA: Number(r.tier_a),
    tierB: Number(r.tier_b),
    tierC: Number(r.tier_c),
    lenderDecided: Number(r.lender_decided),
    approved: Number(r.approved),
    badLoans: Number(r.bad_loans),
    fraudFlagged: Number(r.fraud_flagged),
  }));
}

export const NO_CASES: ChannelCounts = {
  leads: 0,
  consented: 0,
  prescreened: 0,
  tierA: 0,
  tierB: 0,
  tierC: 0,
  lenderDecided: 0,
  approved: 0,
  badLoans: 0,
  fraudFlagged: 0,
};
