import type { DataSource, EntityManager } from 'typeorm';
import type { Policy } from '../../platform/config/policy';
import { appendAudit } from '../../platform/audit/log';
import { countChannelCases, NO_CASES } from './repository/counts';
import { channelFigures, gradeChannel, standingAfterReview, type ChannelStanding } from './rules';
import {
  findChannelIdsForReview,
  findReviewGrading,
  insertManagerNotification,
  insertReviewGrading,
  lockChannelForReview,
  updateChannelStanding,
  type ChannelRow,
} from './repository/review';
import type { ChannelActivities, ChannelReviewOutcome, ReviewChannelInput } from './contract';

const REVIEW_ACTOR = { actorSub: 'channel-review', actorRole: 'system' };
const DAY_MS = 86_400_000;
const OVERRIDE_IN_FORCE =
  'override_in_force: a manager override was applied instead where it fixes grade or suspension';

/** The scheduled channel review (渠道把关): count, grade, record, apply. */
export function createChannelActivities({ db, policy }: { db: DataSource; policy: Policy }): ChannelActivities {
  return {
    async listChannelsForReview({ channelIds }) {
      const rows = await findChannelIdsForReview(db, channelIds);
      return rows.map((r) => r.id);
    },

    async reviewChannel(input) {
      return db.transaction((m) => reviewOne(m, policy, input));
    },
  };
}

/** What one review found for one channel; the steps below record and apply it. */
interface ChannelReview {
  reviewId: string;
  channelId: string;
  from: Date;
  to: Date;
  before: ChannelRow;
  figures: ReturnType<typeof channelFigures>;
  decision: ReturnType<typeof gradeChannel>;
  after: ReturnType<typeof standingAfterReview>;
  reasons: string[];
  changed: boolean;
}

async function reviewOne(
  m: EntityManager,
  policy: Policy,
  { reviewId, channelId, at }: ReviewChannelInput,
): Promise<ChannelReviewOutcome> {
  const done = await priorGrading(m, reviewId, channelId);
  if (done) return done;
  const ch = await lockChannel(m, channelId);
  const to = new Date(at);
  const from = new Date(to.getTime() - policy.channelGrades.reviewWindowDays * DAY_MS);
  const [counts] = await countChannelCases(m, { from, to, channelId });
  const figures = channelFigures(counts ?? NO_CASES, ch.cac_cny);
  const decision = gradeChannel(figures, ch.grade, policy);
  const standing: ChannelStanding = {
    grade: ch.grade,
    suspended: ch.suspended,
    suspendedBy: ch.suspended_by,
    override: ch.override_at
      ? { grade: ch.override_grade, suspended: ch.override_suspended, until: ch.override_until }
      : null,
  };
  const after = standingAfterReview(standing, decision, to);
  const overridden = standing.override !== null && !after.overrideExpired;
  const reasons = overridden ? [...decision.reasons, OVERRIDE_IN_FORCE] : decision.reasons;
  const changed = after.grade !== ch.grade || after.suspended !== ch.suspended;
  const review: ChannelReview = {
    reviewId,
    channelId,
    from,
    to,
    before: ch,
    figures,
    decision,
    after,
    reasons,
    changed,
  };

  await applyStanding(m, review);
  await recordGrading(m, review);
  if (changed || after.overrideExpired) await auditGrading(m, review);
  if (changed) await notifyManagers(m, review);
  return {
    channelId,
    gradeBefore: ch.grade,
    gradeAfter: after.grade,
    suspendedBefore: ch.suspended,
    suspendedAfter: after.suspended,
    judged: decision.judged,
    overridden,
    changed,
  };
}

// The row lock orders this review against a manager's override of the same channel.
async function lockChannel(m: EntityManager, channelId: string): Promise<ChannelRow> {
  const ch = await lockChannelForReview(m, channelId);
  if (!ch) throw new Error(`channel ${channelId} was not found`);
  return ch;
}

/** Writes the new grade and suspension, clearing an override that has run out. */
async function applyStanding(m: EntityManager, { channelId, to, decision, after }: ChannelReview): Promise<void> {
  const suspensionReason =
    after.suspended && after.suspendedBy === 'review'
      ? decision.reasons.filter((r) => r.includes('suspension_line')).join('; ')
      : null;
  await updateChannelStanding(m, {
    channelId,
    grade: after.grade,
    suspended: after.suspended,
    suspendedBy: after.suspendedBy,
    at: to,
    suspensionReason,
    overrideExpired: after.overrideExpired,
  });
}

/** The grading row; keyed by review and channel, it is what makes a retried review a no-op. */
async function recordGrading(m: EntityManager, review: ChannelReview): Promise<void> {
  const { reviewId, channelId, from, to, before, figures, decision, after, reasons } = review;
  await insertReviewGrading(m, [
    reviewId,
    channelId,
    to,
    from,
    decision.grade,
    decision.suspend,
    decision.judged,
    before.grade,
    before.suspended,
    after.grade,
    after.suspended,
    JSON.stringify(figures),
    JSON.stringify(reasons),
  ]);
}

async function auditGrading(m: EntityManager, { reviewId, channelId, before, after }: ChannelReview): Promise<void> {
  await appendAudit(m, {
    ...REVIEW_ACTOR,
    action: 'channel.graded',
    targetType: 'channel',
    targetId: channelId,
    details: {
      reviewId,
      gradeBefore: before.grade,
      gradeAfter: after.grade,
      suspendedBefore: before.suspended,
      suspendedAfter: after.suspended,
      overrideExpired: after.overrideExpired,
    },
  });
}

async function notifyManagers(
  m: EntityManager,
  { reviewId, channelId, before, decision, after }: ChannelReview,
): Promise<void> {
  await insertManagerNotification(
    m,
    `${reviewId}:${channelId}:graded`,
    after.suspended && !before.suspended ? 'channel_suspended' : 'channel_regraded',
    JSON.stringify({
      channelId,
      gradeBefore: before.grade,
      gradeAfter: after.grade,
      suspended: after.suspended,
      reasons: decision.reasons,
    }),
  );
}

async function priorGrading(
  m: EntityManager,
  reviewId: string,
  channelId: string,
): Promise<ChannelReviewOutcome | null> {
  const g = await findReviewGrading(m, reviewId, channelId);
  if (!g) return null;
  return {
    channelId,
    gradeBefore: g.grade_before,
    gradeAfter: g.grade_after,
    suspendedBefore: g.suspended_before,
    suspendedAfter: g.suspended_after,
    judged: g.judged,
    overridden: (g.reasons as string[]).includes(OVERRIDE_IN_FORCE),
    changed: g.grade_before !== g.grade_after || g.suspended_before !== g.suspended_after,
  };
}
