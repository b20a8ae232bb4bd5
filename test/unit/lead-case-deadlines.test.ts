import type { WorkingCalendar } from '../../src/platform/domain/business-hours';
import type { Deadline } from '../../src/modules/lead/messages';
import {
  afterWorkingTime,
  brokerDeadline,
  deadlineFrom,
  firstContactMs,
  HOUR,
  legalHoldAt,
  MINUTE,
  nextMark,
  retentionDueAfterRelease,
  workingCalendarFor,
} from '../../src/modules/lead/workflow/deadlines';
import { beijing, policyWith } from './factories';

const DAY = 24 * HOUR;
const at = (local: string) => beijing(local).getTime();
const iso = (local: string) => beijing(local).toISOString();

/** Deadlines on the clock (a policy that names none in businessHours.deadlines). */
const onTheClock = policyWith({ businessHours: { deadlines: [] } });
/** First contact and follow-up count working time: 09:00–18:00 Beijing, Monday to Friday. */
const workingHours = policyWith({ businessHours: { deadlines: ['first_contact', 'follow_up'] } });

describe('which deadlines count working time', () => {
  test('with no deadline named, every deadline runs on the clock', () => {
    expect(workingCalendarFor('first_contact', onTheClock)).toBeNull();
    expect(workingCalendarFor('review', onTheClock)).toBeNull();
  });

  test('the kinds the policy names count working time; the others still run on the clock', () => {
    expect(workingCalendarFor('first_contact', workingHours)).toMatchObject({ start: '09:00', end: '18:00' });
    expect(workingCalendarFor('review', workingHours)).toBeNull();
    expect(workingCalendarFor('consent', workingHours)).toBeNull();
  });

  test('a case opened under a policy without business hours keeps its deadlines on the clock', () => {
    const { businessHours: _dropped, ...olderPolicy } = workingHours;
    expect(workingCalendarFor('first_contact', olderPolicy as typeof workingHours)).toBeNull();
  });
});

describe('a new deadline', () => {
  test('on the clock it is due its length after it starts, nights included', () => {
    const d = deadlineFrom('review', at('2026-11-18T22:00:00'), 24 * HOUR, onTheClock);
    expect(d).toEqual({
      kind: 'review',
      startedAt: iso('2026-11-18T22:00:00'),
      dueAt: iso('2026-11-19T22:00:00'),
      reminded: false,
      escalated: false,
    });
  });

  test('a 4 h first contact given at 17:00 on a Friday counting working hours is due at 12:00 on Monday', () => {
    const d = deadlineFrom('first_contact', at('2026-11-20T17:00:00'), 4 * HOUR, workingHours);
    expect(d.dueAt).toBe(iso('2026-11-23T12:00:00'));
    expect(d.workingMs).toBe(4 * HOUR);
  });

  test('a calendar too thin to hold the deadline gives way to the clock, and says so', () => {
    const noWorkingDays: WorkingCalendar = {
      timeZone: 'Asia/Shanghai',
      start: '09:00',
      end: '18:00',
      weekdays: [],
      holidays: [],
      workdays: [],
    };
    const reasons: string[] = [];
    const start = at('2026-11-18T10:00:00');
    expect(afterWorkingTime(start, 4 * HOUR, noWorkingDays, (r) => reasons.push(r))).toBe(start + 4 * HOUR);
    expect(reasons).toEqual([expect.stringContaining('too little working time')]);
  });
});

describe("the marks of a broker's deadline", () => {
  const fourHours = (policy = onTheClock): Deadline =>
    deadlineFrom('first_contact', at('2026-11-18T10:00:00'), 4 * HOUR, policy);

  test('on the clock: remind at half the time, escalate when due, reassign at twice the time', () => {
    const d = fourHours();
    expect(nextMark(d, onTheClock)).toEqual({ kind: 'remind', at: at('2026-11-18T12:00:00') });
    expect(nextMark({ ...d, reminded: true }, onTheClock)).toEqual({ kind: 'escalate', at: at('2026-11-18T14:00:00') });
    expect(nextMark({ ...d, reminded: true, escalated: true }, onTheClock)).toEqual({
      kind: 'reassign',
      at: at('2026-11-18T18:00:00'),
    });
  });

  test('in working time: the reminder of a deadline given at 17:00 comes the next morning', () => {
    const d = deadlineFrom('first_contact', at('2026-11-18T17:00:00'), 4 * HOUR, workingHours);
    // Two working hours: 17:00–18:00 on Wednesday, 09:00–10:00 on Thursday.
    expect(nextMark(d, workingHours)).toEqual({ kind: 'remind', at: at('2026-11-19T10:00:00') });
    // Twice the deadline, eight working hours: one on Wednesday, seven on Thursday.
    expect(nextMark({ ...d, reminded: true, escalated: true }, workingHours).at).toBe(at('2026-11-19T16:00:00'));
  });

  test('a deadline set on the clock keeps its marks on the clock after the policy changes', () => {
    const d = fourHours(onTheClock);
    expect(nextMark(d, workingHours).at).toBe(at('2026-11-18T12:00:00'));
  });

  test('the fractions come from the policy', () => {
    const early = policyWith({ followUp: { reminderAt: 0.25, escalateAt: 0.5, reassignAt: 1 } });
    expect(nextMark(fourHours(), early).at).toBe(at('2026-11-18T11:00:00'));
  });
});

describe("a broker's time with a case", () => {
  test('a tier-A case is called within 30 minutes, any other within 4 hours', () => {
    expect(firstContactMs('A', onTheClock)).toBe(30 * MINUTE);
    expect(firstContactMs('B', onTheClock)).toBe(240 * MINUTE);
    expect(firstContactMs(null, onTheClock)).toBe(240 * MINUTE);
  });

  test('a case nobody has tried yet gets the first-contact deadline; after an attempt, the next follow-up', () => {
    expect(brokerDeadline(0, 'A', onTheClock)).toEqual({ kind: 'first_contact', ms: 30 * MINUTE });
    expect(brokerDeadline(2, 'A', onTheClock)).toEqual({ kind: 'follow_up', ms: 48 * HOUR });
  });
});

describe('a legal hold and the retention clock', () => {
  const now = at('2026-11-18T10:00:00');

  test('a hold on a closed case keeps the retention time that was left', () => {
    const hold = legalHoldAt({ stage: 'closed', retentionDueAt: new Date(now + 10 * DAY).toISOString() }, now);
    expect(hold).toEqual({ placedAt: new Date(now).toISOString(), remainingMs: 10 * DAY });
  });

  test('a hold on an open case, or on one already due, keeps nothing or nothing left', () => {
    expect(legalHoldAt({ stage: 'follow_up', retentionDueAt: null }, now).remainingMs).toBeNull();
    expect(legalHoldAt({ stage: 'declined', retentionDueAt: new Date(now - DAY).toISOString() }, now).remainingMs).toBe(
      0,
    );
  });

  test('its release gives the time that was left back from the moment of release', () => {
    const placed = legalHoldAt({ stage: 'closed', retentionDueAt: new Date(now + 10 * DAY).toISOString() }, now);
    const releasedAt = now + 365 * DAY;
    const state = { legalHold: placed, retentionDueAt: new Date(now + 10 * DAY).toISOString() };
    expect(retentionDueAfterRelease(state, releasedAt)).toBe(new Date(releasedAt + 10 * DAY).toISOString());
  });

  test('releasing a hold placed while the case was open leaves its retention date alone', () => {
    const placed = legalHoldAt({ stage: 'follow_up', retentionDueAt: null }, now);
    expect(retentionDueAfterRelease({ legalHold: placed, retentionDueAt: null }, now + DAY)).toBeNull();
  });
});
