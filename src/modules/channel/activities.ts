import type { DataSource, EntityManager } from 'typeorm';
import type { Policy } from '../../platform/config/policy';
import { appendAudit } from '../../platform/audit/log';
import { countChannelCases, NO_CASES } from './repository/counts';
import { channelFigures, gradeChannel, standingAfterReview, type ChannelStanding } from './rules';
import type { ChannelGrade } from '../../platform/domain/types';
import type { ChannelActivities, ChannelReviewOutcome, ReviewChannelInput } from './contract';

const REVIEW_ACTOR = { actorSub: 'channel-review', actorRole: 'system' };
const DAY_MS = 86_400_000;
const OVERRIDE_IN_FORCE =
  'override_in_force: a manager override was applied instead where it fixes grade or suspension';

interface ChannelRow {
  grade: ChannelGrade;
  suspended: boolean;
  suspended_by: ChannelStanding['suspendedBy'];
  cac_cny: number;
  override_grade: ChannelGrade | null;
  override_suspended: boolean | null;
  override_at: Date | null;
  override_until: Date | null;
}

/** The scheduled channel review (渠道把关): count, grade, record, apply. */
export function createChannelActivities({ db, policy }: { db: DataSource; policy: Policy }): ChannelActivities {
  return {
    async listChannelsForReview({ channelIds }) {
      const rows: { id: string }[] = channelIds
        ? await db.query('SELECT id FROM channels WHERE id = ANY($1) ORDER BY id', [channelIds])
        : await db.query('SELECT id FROM channels ORDER BY id');
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
  const [ch]: ChannelRow[] = await m.query(
    `SELECT grade, suspended, suspended_by, cac_cny, override_grade, override_suspended, override_at, override_until
       FROM channels WHERE id = $1 FOR UPDATE`,
    [channelId],
  );
  if (!ch) throw new Error(`channel ${channelId} was not found`);
  return ch;
}

/** Writes the new grade and suspension, clearing an override that has run out. */
async function applyStanding(m: EntityManager, { channelId, to, decision, after }: ChannelReview): Promise<void> {
  const suspensionReason =
    after.suspended && after.suspendedBy === 'review'
      ? decision.reasons.filter((r) => r.includes('suspension_line')).join('; ')
      : null;
  await m.query(
    `UPDATE channels SET grade = $2, suspended = $3, suspended_by = $4, graded_at = $5,
            suspension_reason = CASE WHEN $4::text = 'review' THEN $6 WHEN NOT $3 THEN NULL ELSE suspension_reason END,
            override_grade = CASE WHEN $7 THEN NULL ELSE override_grade END,
            override_suspended = CASE WHEN $7 THEN NULL ELSE override_suspended END,
            override_reason = CASE WHEN $7 THEN NULL ELSE override_reason END,
            override_by = CASE WHEN $7 THEN NULL ELSE override_by END,
            override_at = CASE WHEN $7 THEN NULL ELSE override_at END,
            override_until = CASE WHEN $7 THEN NULL ELSE override_until END
      WHERE id = $1`,
    [channelId, after.grade, after.suspended, after.suspendedBy, to, suspensionReason, after.overrideExpired],
  );
}

/** The grading row; keyed by review and channel, it is what makes a retried review a no-op. */
async function recordGrading(m: EntityManager, review: ChannelReview): Promise<void> {
  const { reviewId, channelId, from, to, before, figures, decision, after, reasons } = review;
  await m.query(
    `INSERT INTO channel_gradings (review_id, channel_id, source, at, window_from, window_to, computed_grade, computed_suspend, judged,
                                   grade_before, suspended_before, grade_after, suspended_after, figures, reasons, decided_by)
     VALUES ($1,$2,'review',$3,$4,$3,$5,$6,$7,$8,$9,$10,$11,$12,$13,'channel-review')`,
    [
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
    ],
  );
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
  await m.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
     VALUES ($1,$2,NULL,'manager',NULL,$3) ON CONFLICT (event_id) DO NOTHING`,
    [
      `${reviewId}:${channelId}:graded`,
      after.suspended && !before.suspended ? 'channel_suspended' : 'channel_regraded',
      JSON.stringify({
        channelId,
        gradeBefore: before.grade,
        gradeAfter: after.grade,
        suspended: after.suspended,
        reasons: decision.reasons,
      }),
    ],
  );
}

async function priorGrading(
  m: EntityManager,
  reviewId: string,
  channelId: string,
): Promise<ChannelReviewOutcome | null> {
  const [g] = await m.query(
    `SELECT grade_before, grade_after, suspended_before, suspended_after, judged, reasons FROM channel_gradings WHERE review_id = $1 AND channel_id = $2`,
    [reviewId, channelId],
  );
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
