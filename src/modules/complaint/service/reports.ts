import type { DataSource } from 'typeorm';
import type { ComplaintReportQuery } from '../schemas';
import { OPEN_COMPLAINT_STATES } from '../rules';

const GROUPS: Record<ComplaintReportQuery['groupBy'], string> = {
  category: 'category',
  priority: 'priority',
  channel: "coalesce(channel_id, 'none')",
  broker: "coalesce(broker_id, 'none')",
};

interface FigureRow {
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

// The figures of a period with no complaints: a count of none, no response times.
const NO_FIGURES: FigureRow = {
  key: 'all',
  filed: 0,
  open: 0,
  closed: 0,
  first_responded: 0,
  first_response_median_s: null,
  first_response_p90_s: null,
  late_first: 0,
  late_resolution: 0,
  escalated: 0,
  reopened: 0,
  satisfied: 0,
  neutral: 0,
  dissatisfied: 0,
};

const minutes = (seconds: number | null) => (seconds === null ? null : Math.round((Number(seconds) / 60) * 10) / 10);

function shapeFigures(r: FigureRow) {
  return {
    filed: r.filed,
    open: r.open,
    closed: r.closed,
    firstResponded: r.first_responded,
    firstResponseMinutes: { median: minutes(r.first_response_median_s), p90: minutes(r.first_response_p90_s) },
    lateFirstResponses: r.late_first,
    lateResolutions: r.late_resolution,
    escalatedToGroup: r.escalated,
    reopened: r.reopened,
    satisfaction: { satisfied: r.satisfied, neutral: r.neutral, dissatisfied: r.dissatisfied },
  };
}

/**
 * Complaint volumes and response times for the complaints filed from `from` up to `to`, grouped by
 * category, priority, channel or broker (the case's broker when it was filed): how many were filed,
 * are open, closed; how long the first response took (median, p90); how many first responses and
 * resolutions were late (answered or closed after their due time, or still open past it); how many
 * went to a cross-team group or were reopened; and the satisfaction results.
 */
export async function complaintReport(db: DataSource, q: ComplaintReportQuery) {
  const figures = async (group: string): Promise<FigureRow[]> =>
    db.query(
      `SELECT ${group} AS key,
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
  const [groups, [all]] = await Promise.all([figures(GROUPS[q.groupBy]), figures("'all'")]);
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    groupBy: q.groupBy,
    totals: shapeFigures(all ?? NO_FIGURES),
    groups: groups.map((r) => ({ key: r.key, ...shapeFigures(r) })),
  };
}
