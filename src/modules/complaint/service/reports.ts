import type { DataSource } from 'typeorm';
import type { ComplaintReportQuery } from '../schemas';
import { complaintFigures, type FigureRow } from '../repository/reports';

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
  const [groups, [all]] = await Promise.all([complaintFigures(db, q.groupBy, q), complaintFigures(db, 'all', q)]);
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    groupBy: q.groupBy,
    totals: shapeFigures(all ?? NO_FIGURES),
    groups: groups.map((r) => ({ key: r.key, ...shapeFigures(r) })),
  };
}
