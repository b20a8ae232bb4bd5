/**
 * Whether a broker may contact a customer right now: "do not contact", consent for marketing,
 * no marketing to vulnerable customers, quiet hours and a daily cap, all read in the policy's zone.
 */
import type { Policy } from '../../../platform/config/policy';
import type { ContactPurpose } from '../../../platform/domain/types';
import { formatLocalDate, localDateTime } from '../../../platform/domain/local-time';

export interface ContactCheckInput {
  /** The moment of the intended contact (the workflow's or the request's clock). */
  at: Date;
  purpose: ContactPurpose;
  /** Attempts already logged on the same local day (see localDayKey). */
  attemptsToday: number;
  doNotContact: boolean;
  marketingConsent: boolean;
  vulnerable: boolean;
}

export type ContactRefusalCode =
  'do_not_contact' | 'quiet_hours' | 'daily_cap_reached' | 'marketing_consent_missing' | 'vulnerable_no_marketing';

export type ContactDecision = { allowed: true } | { allowed: false; code: ContactRefusalCode; reason: string };

/** 'YYYY-MM-DD' of `at` in `timeZone`: the key under which a day's attempts are counted. */
export function localDayKey(at: Date, timeZone: string): string {
  return formatLocalDate(localDateTime(at, timeZone));
}

export function checkContactAllowed(input: ContactCheckInput, policy: Policy): ContactDecision {
  const { contact } = policy;
  if (input.doNotContact) {
    return refuse('do_not_contact', 'the customer asked not to be contacted');
  }
  if (input.purpose === 'marketing' && !input.marketingConsent) {
    return refuse('marketing_consent_missing', 'no marketing consent on record');
  }
  if (input.purpose === 'marketing' && input.vulnerable) {
    return refuse('vulnerable_no_marketing', 'no marketing contact with a vulnerable customer (student or elderly)');
  }
  if (isWithinQuietHours(input.at, policy)) {
    return refuse(
      'quiet_hours',
      `no contact between ${contact.quietHoursStart} and ${contact.quietHoursEnd} (${contact.timeZone})`,
    );
  }
  if (input.attemptsToday >= contact.maxAttemptsPerDay) {
    return refuse(
      'daily_cap_reached',
      `already ${input.attemptsToday} attempts today; the limit is ${contact.maxAttemptsPerDay}`,
    );
  }
  return { allowed: true };
}

/**
 * Quiet hours are [start, end) in local time. A window whose start is after its end wraps midnight
 * (21:00-08:00 means from 21:00 until 07:59). Equal start and end means no quiet hours at all.
 */
export function isWithinQuietHours(at: Date, policy: Policy): boolean {
  const { quietHoursStart, quietHoursEnd, timeZone } = policy.contact;
  const local = localDateTime(at, timeZone);
  const minuteOfDay = local.hour * 60 + local.minute;
  const start = minutesOf(quietHoursStart);
  const end = minutesOf(quietHoursEnd);
  if (start === end) return false;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

function minutesOf(hhmm: string): number {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function refuse(code: ContactRefusalCode, reason: string): ContactDecision {
  return { allowed: false, code, reason };
}
