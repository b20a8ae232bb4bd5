/**
 * Complaint handling (客诉, source 003): the priority a complaint gets, when it must be answered and
 * resolved, when the handler is reminded and compliance told, what a customer's satisfaction result
 * leads to, and when the case goes on do-not-contact. Pure: the caller passes the time in.
 */
import type { Policy } from '../../platform/config/policy';
import { addWorkingTime, type WorkingCalendar } from '../../platform/domain/business-hours';

export const COMPLAINT_CATEGORIES = [
  'rate_dispute',
  'service_attitude',
  'disbursement_delay',
  'privacy',
  'harassment',
  'other',
] as const;
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];

export const COMPLAINT_PRIORITIES = ['high', 'normal', 'low'] as const;
export type ComplaintPriority = (typeof COMPLAINT_PRIORITIES)[number];

/** `ComplaintState` search attribute. A complaint with its own data key goes on to `erased` after its retention. */
export const COMPLAINT_STATES = ['awaiting_response', 'in_progress', 'escalated', 'closed', 'erased'] as const;
export type ComplaintState = (typeof COMPLAINT_STATES)[number];
export const OPEN_COMPLAINT_STATES: readonly ComplaintState[] = ['awaiting_response', 'in_progress', 'escalated'];

export const SATISFACTION_RESULTS = ['satisfied', 'neutral', 'dissatisfied'] as const;
export type Satisfaction = (typeof SATISFACTION_RESULTS)[number];

export const COMPLAINT_RESOLUTIONS = ['upheld', 'partially_upheld', 'not_upheld', 'withdrawn_by_customer'] as const;
export type ComplaintResolution = (typeof COMPLAINT_RESOLUTIONS)[number];

/** The teams a complex complaint can bring together (多部门协同: risk, legal, operations, …). */
export const COMPLAINT_TEAMS = ['risk', 'legal', 'operations', 'compliance', 'customer_service'] as const;
export type ComplaintTeam = (typeof COMPLAINT_TEAMS)[number];

export const RESPONSE_CHANNELS = ['phone', 'sms', 'wechat', 'visit', 'letter', 'email'] as const;
export type ResponseChannel = (typeof RESPONSE_CHANNELS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RANK: Record<ComplaintPriority, number> = { low: 0, normal: 1, high: 2 };
const BY_RANK: ComplaintPriority[] = ['low', 'normal', 'high'];

/** Complaints that are always high priority, whatever was asked for. */
const ALWAYS_HIGH: readonly ComplaintCategory[] = ['privacy', 'harassment'];

export interface PriorityInput {
  category: ComplaintCategory;
  /** What the person filing it chose. */
  requested: ComplaintPriority;
  /** The case's customer is vulnerable (a student under 22 or aged 60+). */
  vulnerableCustomer: boolean;
  /** Other complaints about the same case that are still open. */
  openComplaintsOnCase: number;
}

export interface PriorityDecision {
  priority: ComplaintPriority;
  /** The rules that raised it; empty when the requested priority stands. */
  raisedBy: ('category_always_high' | 'vulnerable_customer' | 'repeat_complaint')[];
}

/**
 * The rules only ever raise a priority, never lower it: privacy and harassment are high; a
 * vulnerable customer, or a case that already has an open complaint, raises it one level each.
 */
export function decideComplaintPriority(input: PriorityInput): PriorityDecision {
  const raisedBy: PriorityDecision['raisedBy'] = [];
  let rank = RANK[input.requested];
  const raise = (to: number, rule: PriorityDecision['raisedBy'][number]) => {
    if (to > rank) {
      rank = to;
      raisedBy.push(rule);
    }
  };
  if (ALWAYS_HIGH.includes(input.category)) raise(RANK.high, 'category_always_high');
  if (input.vulnerableCustomer) raise(Math.min(rank + 1, RANK.high), 'vulnerable_customer');
  if (input.openComplaintsOnCase > 0) raise(Math.min(rank + 1, RANK.high), 'repeat_complaint');
  return { priority: BY_RANK[rank]!, raisedBy };
}

/** A harassment complaint about contact stops all contact with the case's customer at once. */
export function requiresDoNotContact(input: {
  category: ComplaintCategory;
  aboutContact: boolean;
  hasCase: boolean;
}): boolean {
  return input.hasCase && input.category === 'harassment' && input.aboutContact;
}

/** A harassment complaint is about contact unless the filer says otherwise. */
export const defaultAboutContact = (category: ComplaintCategory): boolean => category === 'harassment';

export interface ComplaintDeadlines {
  firstResponseDueAt: Date;
  /** Set when the first response counts working time only: how much of it. */
  firstResponseWorkingMs?: number;
  resolutionDueAt: Date;
}

/**
 * The working calendar when the first response counts working time (`complaint_first_response` in
 * policy.businessHours.deadlines, the default). Complaints filed under a policy without
 * `businessHours` keep running on the clock.
 */
export function firstResponseCalendar(policy: Policy): WorkingCalendar | null {
  const hours = (policy as Partial<Policy>).businessHours;
  return hours && (hours.deadlines as string[]).includes('complaint_first_response') ? hours : null;
}

/** Working time added to `startMs`; on a calendar too thin to hold it, clock time. */
export function afterWorkingTimeOrClock(startMs: number, workMs: number, calendar: WorkingCalendar): number {
  try {
    return addWorkingTime(startMs, workMs, calendar);
  } catch {
    return startMs + workMs;
  }
}

/**
 * First response within 2 h / 24 h / 72 h by priority, in working time by default (a high-priority
 * complaint filed at 17:30 on the eve of a holiday is due 1.5 h into the first working day after it);
 * resolution within 15 days on the clock. Both count from filing.
 */
export function complaintDeadlines(priority: ComplaintPriority, filedAt: Date, policy: Policy): ComplaintDeadlines {
  const responseMs = policy.complaints.firstResponseHours[priority] * HOUR_MS;
  const calendar = firstResponseCalendar(policy);
  const start = filedAt.getTime();
  return {
    firstResponseDueAt: new Date(calendar ? afterWorkingTimeOrClock(start, responseMs, calendar) : start + responseMs),
    ...(calendar ? { firstResponseWorkingMs: responseMs } : {}),
    resolutionDueAt: resolutionDueFrom(filedAt, policy),
  };
}

/** A resolution clock started at `start` (filing, or a reopening) runs `resolutionDays`. */
export const resolutionDueFrom = (start: Date, policy: Policy): Date =>
  new Date(start.getTime() + policy.complaints.resolutionDays * DAY_MS);

/** A running clock of a complaint: when it started, when it is due, and which of its marks have passed. */
export interface ComplaintClock {
  startedAt: string;
  dueAt: string;
  /** The handler has been reminded (at the policy's reminder fraction of the span). */
  reminded: boolean;
  /** Compliance has been told it is late (at the due time). */
  escalated: boolean;
  /** Set when the clock counts working time only: how much. Its reminder then falls in working time too. */
  workingMs?: number;
}

export type ComplaintMarkKind =
  'first_response_reminder' | 'first_response_late' | 'resolution_reminder' | 'resolution_late';

/**
 * The next thing the complaint's timers must do: remind the handler at `reminderAt` of a clock's
 * span (the same fraction as follow-up deadlines, `policy.followUp.reminderAt`), and tell
 * compliance when it is due. The first-response clock runs until the first response; the
 * resolution clock until the complaint is closed. Null when nothing is left to wait for.
 */
export function nextComplaintMark(
  clocks: { firstResponse: ComplaintClock | null; resolution: ComplaintClock | null },
  reminderAt: number,
  calendar: WorkingCalendar | null = null,
): { kind: ComplaintMarkKind; at: number } | null {
  const marks: { kind: ComplaintMarkKind; at: number }[] = [];
  const reminderOf = (c: ComplaintClock, start: number, due: number) =>
    c.workingMs !== undefined && calendar
      ? afterWorkingTimeOrClock(start, c.workingMs * reminderAt, calendar)
      : start + (due - start) * reminderAt;
  const plan = (c: ComplaintClock | null, reminder: ComplaintMarkKind, late: ComplaintMarkKind) => {
    if (!c) return;
    const start = Date.parse(c.startedAt);
    const due = Date.parse(c.dueAt);
    if (!c.reminded) marks.push({ kind: reminder, at: reminderOf(c, start, due) });
    else if (!c.escalated) marks.push({ kind: late, at: due });
  };
  plan(clocks.firstResponse, 'first_response_reminder', 'first_response_late');
  plan(clocks.resolution, 'resolution_reminder', 'resolution_late');
  marks.sort((a, b) => a.at - b.at);
  return marks[0] ?? null;
}

/**
 * What a satisfaction result leads to (闭环反馈). A dissatisfied customer reopens the complaint once,
 * with a fresh resolution clock and compliance told; a second dissatisfied result closes it, and
 * compliance is told again so it can follow up outside the complaint.
 */
export function afterSatisfaction(satisfaction: Satisfaction, timesReopened: number): 'close' | 'reopen' {
  return satisfaction === 'dissatisfied' && timesReopened === 0 ? 'reopen' : 'close';
}
