/**
 * The complaint's deadline arithmetic: which mark is next and when, whether an action met it, and
 * when retention ends around a legal hold. Pure: the workflow passes its time in.
 */
import type { Policy } from '../../../platform/config/policy';
import {
  firstResponseCalendar,
  nextComplaintMark,
  resolutionDueFrom,
  type ComplaintClock,
  type ComplaintMarkKind,
} from '../rules';
import type { ComplaintCaseState } from '../messages';

const DAY_MS = 86_400_000;

export interface ComplaintMark {
  kind: ComplaintMarkKind;
  /** Epoch milliseconds. */
  at: number;
}

/** The next reminder or late notice of the clocks still running, or null when none runs. */
export function nextMark(complaint: ComplaintCaseState, policy: Policy): ComplaintMark | null {
  const clocks = { firstResponse: complaint.firstResponseClock, resolution: complaint.resolutionClock };
  return nextComplaintMark(clocks, policy.followUp.reminderAt, firstResponseCalendar(policy));
}

/** A timer's length until `at`: at least 1 ms, so a mark already past still fires through a timer. */
export const msUntil = (at: number, now: number): number => Math.max(1, at - now);

/**
 * Whether a mark that came due while an action was being recorded is left to that action: it is when
 * the action began at or before the mark. Once written, the clocks it stopped or restarted decide.
 */
export const leftToAction = (action: { acting: boolean; actingSince: number }, markAt: number): boolean =>
  action.acting && action.actingSince <= markAt;

/** Whether something done at `at` came after `dueAt`. */
export const isPastDue = (at: Date, dueAt: string): boolean => at.getTime() > Date.parse(dueAt);

/** A reopened complaint's fresh resolution clock, counted from the reopening. */
export function reopenedResolution(
  at: Date,
  policy: Policy,
): { resolutionDueAt: string; resolutionClock: ComplaintClock } {
  const resolutionDueAt = resolutionDueFrom(at, policy).toISOString();
  return {
    resolutionDueAt,
    resolutionClock: { startedAt: at.toISOString(), dueAt: resolutionDueAt, reminded: false, escalated: false },
  };
}

/** How long a closed complaint with its own key keeps its description. */
export const retentionSpanMs = (policy: Policy): number => policy.retention.unconvertedDays * DAY_MS;

export const retentionDueAfterClose = (closedAt: Date, policy: Policy): string =>
  new Date(closedAt.getTime() + retentionSpanMs(policy)).toISOString();

/**
 * What a hold placed at `at` keeps of retention: what was left of it once it runs (after the close),
 * null while the complaint is open (the close then keeps all of it).
 */
export function retentionLeftAtHold(complaint: ComplaintCaseState, at: Date): number | null {
  if (complaint.state !== 'closed' || complaint.retentionDueAt === null) return null;
  return Math.max(0, Date.parse(complaint.retentionDueAt) - at.getTime());
}

/** When retention ends after a release at `at`: what the hold kept runs from then. */
export function retentionDueAfterRelease(complaint: ComplaintCaseState, at: Date): string | null {
  const remaining = complaint.legalHold?.remainingMs ?? null;
  return remaining === null ? complaint.retentionDueAt : new Date(at.getTime() + remaining).toISOString();
}
