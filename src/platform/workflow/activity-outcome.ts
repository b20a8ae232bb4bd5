/**
 * Which activity an outcome belongs to, stamped by the worker that ran it.
 *
 * Someone with access to Temporal can complete or fail a pending activity by its ID (`temporal
 * activity complete|fail`). The worker's codec turns anything the service did not seal into a
 * refused marker, and a sealed outcome copied from a history names the run and activity it came
 * from: so an outcome counts only when it carries this stamp, for this workflow, run and activity.
 * The worker adds it (src/platform/worker/activity-outcomes.ts); the workflows check it
 * (./verified-activities.ts). Local activities run inside the worker and cannot be completed from
 * outside: they are not stamped.
 *
 * Imported by workflows and by the worker alike: pure functions only.
 */

export const OUTCOME_STAMP_KEY = '$outcomeOf';

export interface OutcomeStamp {
  workflowId: string;
  runId: string;
  activityId: string;
  activityType: string;
}

/** A result as the worker hands it back: the value with the stamp of the activity that produced it. */
export interface StampedResult {
  [OUTCOME_STAMP_KEY]: OutcomeStamp;
  value: unknown;
}

export const stampResult = (value: unknown, stamp: OutcomeStamp): StampedResult => ({
  [OUTCOME_STAMP_KEY]: stamp,
  value,
});

/** The stamp a failure carries as its first detail. */
export const stampDetail = (stamp: OutcomeStamp): { [OUTCOME_STAMP_KEY]: OutcomeStamp } => ({
  [OUTCOME_STAMP_KEY]: stamp,
});

function stampOf(v: unknown): Partial<OutcomeStamp> | null {
  if (typeof v !== 'object' || v === null || !(OUTCOME_STAMP_KEY in v)) return null;
  const stamp = (v as Record<string, unknown>)[OUTCOME_STAMP_KEY];
  return typeof stamp === 'object' && stamp !== null ? (stamp as Partial<OutcomeStamp>) : null;
}

/**
 * The activity ID decides: each call gets a fresh random one (./verified-activities.ts), so no
 * outcome stamped for another workflow, run or call carries it. The workflow and run IDs are not
 * compared: a replay of a saved history runs under other ones.
 */
const sameActivity = (
  stamp: Partial<OutcomeStamp> | null,
  expected: Pick<OutcomeStamp, 'activityId' | 'activityType'>,
): boolean => !!stamp && stamp.activityId === expected.activityId && stamp.activityType === expected.activityType;

/** The value of a result stamped for the expected activity, or `{ ok: false }` for anything else. */
export function openResult(
  v: unknown,
  expected: Pick<OutcomeStamp, 'activityId' | 'activityType'>,
): { ok: true; value: unknown } | { ok: false } {
  return sameActivity(stampOf(v), expected) ? { ok: true, value: (v as StampedResult).value } : { ok: false };
}

/** Whether a failure's details begin with the expected activity's stamp. */
export const failureStampedFor = (
  details: readonly unknown[] | null | undefined,
  expected: Pick<OutcomeStamp, 'activityId' | 'activityType'>,
): boolean => sameActivity(stampOf(details?.[0]), expected);
