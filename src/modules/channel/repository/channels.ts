import type { EntityManager } from 'typeorm';
import type { ChannelGrade } from '../../../platform/domain/types';

// The SQL of channels, their gradings and managers' overrides; ../service/channels.ts holds the checks.

type Queryable = Pick<EntityManager, 'query'>;

const CHANNEL_VIEW = `
  SELECT id, name, type, partner, grade, suspended, suspended_by AS "suspendedBy", suspension_reason AS "suspensionReason",
         cac_cny AS "cacCny", team, graded_at AS "gradedAt",
         CASE WHEN override_at IS NULL THEN NULL ELSE jsonb_build_object(
           'grade', override_grade, 'suspended', override_suspended, 'reason', override_reason, 'by', override_by,
           'at', override_at, 'until', override_until) END AS override
    FROM channels WHERE id = $1`;

export type ChannelView = Record<string, unknown> & { grade: ChannelGrade; suspended: boolean; cacCny: number };

/** The channel as the API shows it, with its override when one is set. */
export async function findChannelView(db: Queryable, channelId: string): Promise<ChannelView | undefined> {
  const [row] = await db.query(CHANNEL_VIEW, [channelId]);
  return row;
}

/** The channel's latest grading, or undefined when it was never graded. */
export async function findLastGrading(db: Queryable, channelId: string): Promise<Record<string, unknown> | undefined> {
  const [last] = await db.query(
    `SELECT review_id AS "reviewId", source, at, computed_grade AS "computedGrade", grade_after AS "grade", suspended_after AS "suspended", reasons
       FROM channel_gradings WHERE channel_id = $1 ORDER BY at DESC, id DESC LIMIT 1`,
    [channelId],
  );
  return last;
}

/** The channel's gradings, newest first, `limit` at most. */
export async function findGradings(
  db: Queryable,
  channelId: string,
  limit: number,
): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT id::text, review_id AS "reviewId", source, at, window_from AS "windowFrom", window_to AS "windowTo",
            computed_grade AS "computedGrade", computed_suspend AS "computedSuspend", judged,
            grade_before AS "gradeBefore", suspended_before AS "suspendedBefore", grade_after AS "gradeAfter", suspended_after AS "suspendedAfter",
            figures, reasons, decided_by AS "decidedBy"
       FROM channel_gradings WHERE channel_id = $1 ORDER BY at DESC, id DESC LIMIT $2`,
    [channelId, limit],
  );
}

export interface ChannelStanding {
  id: string;
  name: string;
  type: string;
  grade: ChannelGrade;
  suspended: boolean;
  cac_cny: number;
}

/** Every channel's current standing, by id. */
export async function findChannels(db: Queryable): Promise<ChannelStanding[]> {
  return db.query('SELECT id, name, type, grade, suspended, cac_cny FROM channels ORDER BY id');
}

/** Of `channelIds`, those that exist. */
export async function findKnownChannelIds(db: Queryable, channelIds: string[]): Promise<{ id: string }[]> {
  return db.query('SELECT id FROM channels WHERE id = ANY($1)', [channelIds]);
}

/** The channel's standing, locked for the rest of the transaction, before an override is set. */
export async function lockChannelForOverride(
  m: Queryable,
  channelId: string,
): Promise<{ grade: ChannelGrade; suspended: boolean; suspended_by: string | null } | undefined> {
  const [ch] = await m.query('SELECT grade, suspended, suspended_by FROM channels WHERE id = $1 FOR UPDATE', [
    channelId,
  ]);
  return ch;
}

export interface OverrideRow {
  channelId: string;
  grade: ChannelGrade;
  suspended: boolean;
  suspendedBy: string | null;
  reason: string;
  overrideGrade: ChannelGrade | null;
  overrideSuspended: boolean | null;
  by: string;
  at: Date;
  until: Date | null;
}

/** Applies a manager's override to the channel and records it on the row. */
export async function updateChannelOverride(m: Queryable, o: OverrideRow): Promise<void> {
  await m.query(
    `UPDATE channels SET grade = $2, suspended = $3, suspended_by = $4,
              suspension_reason = CASE WHEN $3 AND $4::text = 'override' THEN $5 WHEN NOT $3 THEN NULL ELSE suspension_reason END,
              override_grade = $6, override_suspended = $7, override_reason = $5, override_by = $8, override_at = $9, override_until = $10
        WHERE id = $1`,
    [
      o.channelId,
      o.grade,
      o.suspended,
      o.suspendedBy,
      o.reason,
      o.overrideGrade,
      o.overrideSuspended,
      o.by,
      o.at,
      o.until,
    ],
  );
}

export interface OverrideGrading {
  reviewId: string;
  channelId: string;
  at: Date;
  gradeBefore: ChannelGrade;
  suspendedBefore: boolean;
  reasons: string[];
  decidedBy: string;
}

/** The grading an override is recorded as. */
export async function insertOverrideGrading(
  m: Queryable,
  g: OverrideGrading & { gradeAfter: ChannelGrade; suspendedAfter: boolean },
): Promise<void> {
  await m.query(
    `INSERT INTO channel_gradings (review_id, channel_id, source, at, grade_before, suspended_before, grade_after, suspended_after, reasons, decided_by)
       VALUES ($1,$2,'override',$3,$4,$5,$6,$7,$8,$9)`,
    [
      g.reviewId,
      g.channelId,
      g.at,
      g.gradeBefore,
      g.suspendedBefore,
      g.gradeAfter,
      g.suspendedAfter,
      JSON.stringify(g.reasons),
      g.decidedBy,
    ],
  );
}

/** The channel's standing and whether an override is set, locked for the rest of the transaction. */
export async function lockChannelForClear(
  m: Queryable,
  channelId: string,
): Promise<{ grade: ChannelGrade; suspended: boolean; override_at: Date | null } | undefined> {
  const [ch] = await m.query('SELECT grade, suspended, override_at FROM channels WHERE id = $1 FOR UPDATE', [
    channelId,
  ]);
  return ch;
}

/** Removes the override from the channel; a suspension it set becomes the review's. */
export async function clearOverride(m: Queryable, channelId: string): Promise<void> {
  await m.query(
    `UPDATE channels SET override_grade = NULL, override_suspended = NULL, override_reason = NULL, override_by = NULL, override_at = NULL, override_until = NULL,
              suspended_by = CASE WHEN suspended_by = 'override' THEN 'review' ELSE suspended_by END
        WHERE id = $1`,
    [channelId],
  );
}

/** The grading an override's end is recorded as: the standing stays as it was. */
export async function insertOverrideClearedGrading(m: Queryable, g: OverrideGrading): Promise<void> {
  await m.query(
    `INSERT INTO channel_gradings (review_id, channel_id, source, at, grade_before, suspended_before, grade_after, suspended_after, reasons, decided_by)
       VALUES ($1,$2,'override_cleared',$3,$4,$5,$4,$5,$6,$7)`,
    [g.reviewId, g.channelId, g.at, g.gradeBefore, g.suspendedBefore, JSON.stringify(g.reasons), g.decidedBy],
  );
}
