/**
 * Deadline arithmetic of a lead case: pure functions of the policy and the time they are given.
 */
import type { Policy } from '../../../platform/config/policy';
import { addWorkingTime, type WorkingCalendar } from '../../../platform/domain/business-hours';
import { isOpenStage, type RiskTier } from '../../../platform/domain/types';
import type { Deadline, DeadlineKind, LeadCaseState } from '../messages';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** Told when a working calendar cannot hold a deadline and the deadline runs on the clock instead. */
export type OnClockInstead = (reason: string) => void;

/** The three marks of a broker's deadline: remind the broker, tell the managers, give the case to another broker. */
export type DeadlineMark = 'remind' | 'escalate' | 'reassign';

/**
 * The working calendar when this kind of deadline counts working time only. Cases opened under a
 * policy without `businessHours` still carry that policy: their deadlines run on the clock.
 */
export function workingCalendarFor(kind: DeadlineKind, policy: Policy): WorkingCalendar | null {
  const hours = (policy as Partial<Policy>).businessHours;
  return hours && (hours.deadlines as string[]).includes(kind) ? hours : null;
}

/** Working time added to `startMs`; on a calendar too thin to hold it (a holiday list gone wrong), clock time. */
export function afterWorkingTime(
  startMs: number,
  workMs: number,
  calendar: WorkingCalendar,
  onClockInstead?: OnClockInstead,
): number {
  try {
    return addWorkingTime(startMs, workMs, calendar);
  } catch (err) {
    onClockInstead?.((err as Error).message);
    return startMs + workMs;
  }
}

/** A deadline of `kind` started at `startMs`, `durationMs` long (in working time where the policy says so). */
export function deadlineFrom(
  kind: DeadlineKind,
  startMs: number,
  durationMs: number,
  policy: Policy,
  onClockInstead?: OnClockInstead,
): Deadline {
  const calendar = workingCalendarFor(kind, policy);
  const dueMs = calendar ? afterWorkingTime(startMs, durationMs, calendar, onClockInstead) : startMs + durationMs;
  return {
    kind,
    startedAt: new Date(startMs).toISOString(),
    dueAt: new Date(dueMs).toISOString(),
    reminded: false,
    escalated: false,
    ...(calendar ? { workingMs: durationMs } : {}),
  };
}

/** The next mark of a broker's deadline not yet acted on, and when it falls. */
export function nextMark(
  d: Deadline,
  policy: Policy,
  onClockInstead?: OnClockInstead,
): { kind: DeadlineMark; at: number } {
  const start = Date.parse(d.startedAt);
  const span = Date.parse(d.dueAt) - start;
  const calendar = d.workingMs !== undefined ? workingCalendarFor(d.kind, policy) : null;
  // A fraction of working time is reached in working time too: the reminder of a deadline given
  // at 17:00 comes the next morning, not at midnight.
  const at = (fraction: number) =>
    calendar ? afterWorkingTime(start, d.workingMs! * fraction, calendar, onClockInstead) : start + span * fraction;
  const f = policy.followUp;
  if (!d.reminded) return { kind: 'remind', at: at(f.reminderAt) };
  if (!d.escalated) return { kind: 'escalate', at: at(f.escalateAt) };
  return { kind: 'reassign', at: at(f.reassignAt) };
}

/** How long a broker has for first contact: tier A cases are called sooner. */
export function firstContactMs(tier: RiskTier | null, policy: Policy): number {
  return policy.followUp.firstContactMinutes[tier === 'A' ? 'A' : 'B'] * MINUTE;
}

/** The deadline a broker gets with a case: first contact until someone has tried, then the next follow-up. */
export function brokerDeadline(
  contactAttempts: number,
  tier: RiskTier | null,
  policy: Policy,
): { kind: DeadlineKind; ms: number } {
  return contactAttempts === 0
    ? { kind: 'first_contact', ms: firstContactMs(tier, policy) }
    : { kind: 'follow_up', ms: policy.followUp.nextFollowUpHours * HOUR };
}

/** A legal hold placed at `nowMs`: it keeps what was left of a running retention period, to give back on release. */
export function legalHoldAt(
  state: Pick<LeadCaseState, 'stage' | 'retentionDueAt'>,
  nowMs: number,
): NonNullable<LeadCaseState['legalHold']> {
  const retentionRunning = !isOpenStage(state.stage) && state.retentionDueAt !== null;
  return {
    placedAt: new Date(nowMs).toISOString(),
    remainingMs: retentionRunning ? Math.max(0, Date.parse(state.retentionDueAt!) - nowMs) : null,
  };
}

/** The retention due date once a hold is released at `nowMs`: the time left when it was placed, from now. */
export function retentionDueAfterRelease(
  state: Pick<LeadCaseState, 'legalHold' | 'retentionDueAt'>,
  nowMs: number,
): string | null {
  const remaining = state.legalHold?.remainingMs;
  return remaining !== null && remaining !== undefined
    ? new Date(nowMs + remaining).toISOString()
    : state.retentionDueAt;
}
