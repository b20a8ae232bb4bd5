import type { EntityManager } from 'typeorm';
import type { ChannelGrade } from '../../../platform/domain/types';
import type { ChannelStanding } from '../rules';

// The SQL of the scheduled channel review; ../activities.ts grades, records and applies.

type Queryable = Pick<EntityManager, 'query'>;

export interface ChannelRow {
  grade: ChannelGrade;
  suspended: boolean;
  suspended_by: ChannelStanding['suspendedBy'];
  cac_cny: number;
  override_grade: ChannelGrade | null;
  override_suspended: boolean | null;
  override_at: Date | null;
  override_until: Date | null;
}

/** The IDs to review: these (those that exist) or every channel, in order. */
export async function findChannelIdsForReview(db: Queryable, channelIds?: string[]): Promise<{ id: string }[]> {
  return channelIds
    ? await db.query('SELECT id FROM channels WHERE id = ANY($1) ORDER BY id', [channelIds])
    : await db.query('SELECT id FROM channels ORDER BY id');
}

/** The channel's standing, its row locked for update until the transaction ends. */
export async function lockChannelForReview(m: Queryable, channelId: string): Promise<ChannelRow | undefined> {
  const [ch]: ChannelRow[] = await m.query(
    `SELECT grade, suspended, suspended_by, cac_cny, override_grade, override_suspended, override_at, override_until
       FROM channels WHERE id = $1 FOR UPDATE`,
    [channelId],
  );
  return ch;
}

/** Writes the new grade and suspension, clearing the override when `overrideExpired`. */
export async function updateChannelStanding(
  m: Queryable,
  s: {
    channelId: string;
    grade: ChannelGrade;
    suspended: boolean;
    suspendedBy: ChannelStanding['suspendedBy'];
    at: Date;
    suspensionReason: string | null;
    overrideExpired: boolean;
  },
): Promise<void> {
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
    [s.channelId, s.grade, s.suspended, s.suspendedBy, s.at, s.suspensionReason, s.overrideExpired],
  );
}

/** The review's grading row, in the column order of the insert below. */
export type ReviewGradingValues = [
  reviewId: string,
  channelId: string,
  to: Date,
  from: Date,
  computedGrade: unknown,
  computedSuspend: unknown,
  judged: unknown,
  gradeBefore: ChannelGrade,
  suspendedBefore: boolean,
  gradeAfter: unknown,
  suspendedAfter: unknown,
  figures: string,
  reasons: string,
];

/** Keyed by review and channel: what makes a retried review a no-op. */
export async function insertReviewGrading(m: Queryable, values: ReviewGradingValues): Promise<void> {
  await m.query(
    `INSERT INTO channel_gradings (review_id, channel_id, source, at, window_from, window_to, computed_grade, computed_suspend, judged,
                                   grade_before, suspended_before, grade_after, suspended_after, figures, reasons, decided_by)
     VALUES ($1,$2,'review',$3,$4,$3,$5,$6,$7,$8,$9,$10,$11,$12,$13,'channel-review')`,
    values,
  );
}

/** A notification to the managers, once per event ID. */
export async function insertManagerNotification(
  m: Queryable,
  eventId: string,
  kind: string,
  payload: string,
): Promise<void> {
  await m.query(
    `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload)
     VALUES ($1,$2,NULL,'manager',NULL,$3) ON CONFLICT (event_id) DO NOTHING`,
    [eventId, kind, payload],
  );
}

/** The grading this review already recorded for the channel, if any. */
export async function findReviewGrading(m: Queryable, reviewId: string, channelId: string) {
  const [g] = await m.query(
    `SELECT grade_before, grade_after, suspended_before, suspended_after, judged, reasons FROM channel_gradings WHERE review_id = $1 AND channel_id = $2`,
    [reviewId, channelId],
  );
  return g;
}
