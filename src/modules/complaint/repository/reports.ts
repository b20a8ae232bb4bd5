import type { EntityManager } from 'typeorm';
import { OPEN_COMPLAINT_STATES } from '../rules';
import type { ComplaintReportQuery } from '../schemas';

// The SQL of the complaint report; ../service/reports.ts shapes the figures.

type Queryable = Pick<EntityManager, 'query'>;

const GROUPS: Record<ComplaintReportQuery['groupBy'] | 'all', string> = {
  category: 'category',
  priority: 'priority',
  channel: "coalesce(channel_id, 'none')",
  broker: "coalesce(broker_id, 'none')",
  all: "'all'",
};

export interface FigureRow {
  key: string;
  filed: number;
  open: number;
  closed: number;
  first_responded: number;
  first_response_median_s: number | null;
  first_response_p90_s: number | null;
  late_first: number;
  late_resolution: number;
  escalated: number;
  reopened: number;
  satisfied: number;
  neutral: number;
  dissatisfied: number;
}

/**
 * The figures of the complaints filed in [from, to), one row per category, priority, channel or
 * broker (`none` for no channel or broker), or one row `all`; most filed first.
 */
export async function complaintFigures(
  db: Queryable,
  groupBy: ComplaintReportQuery['groupBy'] | 'all',
  q: { from: Date; to: Date },
): Promise<FigureRow[]> {
  return db.query(
    `SELECT ${GROUPS[groupBy]} AS key,
              count(*)::int AS filed,
              count(*) FILTER (WHERE state = ANY($3))::int AS open,
              count(*) FILTER (WHERE closed_at IS NOT NULL)::int AS closed,
              count(first_responded_at)::int AS first_responded,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_responded_at - filed_at)) AS first_response_median_s,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_responded_at - filed_at)) AS first_response_p90_s,
              count(*) FILTER (WHERE late_first_response OR first_responded_at > first_response_due_at
                                  OR (first_responded_at IS NULL AND state = ANY($3) AND first_response_due_at < now()))::int AS late_first,
              count(*) FILTER (WHERE late_resolution OR closed_at > resolution_due_at
                                  OR (closed_at IS NULL AND state = ANY($3) AND resolution_due_at < now()))::int AS late_resolution,
              count(escalated_at)::int AS escalated,
              count(*) FILTER (WHERE times_reopened > 0)::int AS reopened,
              count(*) FILTER (WHERE satisfaction = 'satisfied')::int AS satisfied,
              count(*) FILTER (WHERE satisfaction = 'neutral')::int AS neutral,
              count(*) FILTER (WHERE satisfaction = 'dissatisfied')::int AS dissatisfied
         FROM complaints WHERE filed_at >= $1 AND filed_at < $2
        GROUP BY 1 ORDER BY filed DESC, key`,
    [q.from, q.to, OPEN_COMPLAINT_STATES],
  );
}
