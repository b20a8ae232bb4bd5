/**
 * When a closed case's personal data is due for erasure (留存与删除). A legal hold is the caller's
 * business: it pauses the clock by not erasing while the hold lasts.
 */
import type { Policy } from '../../../platform/config/policy';

const MS_PER_DAY = 24 * 60 * 60 * 1000;
// Simplification, on purpose: a "year" is 365 days, so 5 years ends one or two days (the leap days)
// before the calendar anniversary. If a minimum keeping period must be met to the day, give the
// policy a margin (e.g. convertedYears 5.01).
const DAYS_PER_YEAR = 365;

export function retentionDueAt(input: { closedAt: Date; converted: boolean }, policy: Policy): Date {
  const { unconvertedDays, convertedYears } = policy.retention;
  const days = input.converted ? convertedYears * DAYS_PER_YEAR : unconvertedDays;
  return new Date(input.closedAt.getTime() + days * MS_PER_DAY);
}

/** Due from the due instant itself onwards. */
export function isRetentionDue(dueAt: Date, now: Date): boolean {
  return now.getTime() >= dueAt.getTime();
}
