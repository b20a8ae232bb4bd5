import { parsePolicy } from '../../src/platform/config/policy';
import { addWorkingTime, isWorkingDay, type WorkingCalendar } from '../../src/platform/domain/business-hours';

const HOUR = 3_600_000;
const MINUTE = 60_000;
/** An instant given as Beijing wall-clock time (UTC+8, no daylight saving). */
const beijing = (local: string) => Date.parse(`${local}+08:00`);
const iso = (ms: number) => new Date(ms).toISOString();

const cal = (o: Partial<WorkingCalendar> = {}): WorkingCalendar => ({
  timeZone: 'Asia/Shanghai',
  start: '09:00',
  end: '18:00',
  weekdays: [1, 2, 3, 4, 5],
  holidays: [],
  workdays: [],
  ...o,
});

describe('addWorkingTime', () => {
  test('inside one working day it is plain addition', () => {
    expect(iso(addWorkingTime(beijing('2026-11-18T10:00:00'), 30 * MINUTE, cal()))).toBe(
      iso(beijing('2026-11-18T10:30:00')),
    );
  });

  test('what does not fit before closing carries over to the next opening', () => {
    // Wednesday 17:00 + 4 h = 1 h on Wednesday, 3 h on Thursday.
    expect(iso(addWorkingTime(beijing('2026-11-18T17:00:00'), 4 * HOUR, cal()))).toBe(
      iso(beijing('2026-11-19T12:00:00')),
    );
  });

  test('a clock started at night, or before opening, starts at the next opening', () => {
    expect(iso(addWorkingTime(beijing('2026-11-18T22:30:00'), 30 * MINUTE, cal()))).toBe(
      iso(beijing('2026-11-19T09:30:00')),
    );
    expect(iso(addWorkingTime(beijing('2026-11-19T06:00:00'), 30 * MINUTE, cal()))).toBe(
      iso(beijing('2026-11-19T09:30:00')),
    );
  });

  test('the weekend does not count: Friday 17:45 + 30 min is Monday 09:15', () => {
    expect(iso(addWorkingTime(beijing('2026-11-20T17:45:00'), 30 * MINUTE, cal()))).toBe(
      iso(beijing('2026-11-23T09:15:00')),
    );
  });

  test('holidays are skipped, and a weekend day worked in exchange (调休) counts', () => {
    // National Day 2026: 1-7 October off; Sunday 27 September and Saturday 10 October worked.
    const goldenWeek = cal({
      holidays: ['2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'],
      workdays: ['2026-09-27', '2026-10-10'],
    });
    expect(iso(addWorkingTime(beijing('2026-09-30T17:00:00'), 4 * HOUR, goldenWeek))).toBe(
      iso(beijing('2026-10-08T12:00:00')),
    );
    expect(iso(addWorkingTime(beijing('2026-09-26T12:00:00'), 1 * HOUR, goldenWeek))).toBe(
      iso(beijing('2026-09-27T10:00:00')),
    );
    expect(isWorkingDay({ year: 2026, month: 10, day: 10 }, goldenWeek)).toBe(true);
    expect(isWorkingDay({ year: 2026, month: 10, day: 11 }, goldenWeek)).toBe(false);
  });

  test('long deadlines span many days: 24 working hours from Monday 09:00 end Wednesday 15:00', () => {
    expect(iso(addWorkingTime(beijing('2026-11-16T09:00:00'), 24 * HOUR, cal()))).toBe(
      iso(beijing('2026-11-18T15:00:00')),
    );
  });

  test('a zone with daylight saving: the local opening hour holds across the change', () => {
    // Berlin moves to summer time on Sunday 29 March 2026; Friday 17:00 + 2 h is Monday 10:00 local.
    const berlin = cal({ timeZone: 'Europe/Berlin' });
    expect(iso(addWorkingTime(Date.parse('2026-03-27T17:00:00+01:00'), 2 * HOUR, berlin))).toBe(
      iso(Date.parse('2026-03-30T10:00:00+02:00')),
    );
  });

  test('a calendar with too little working time fails instead of looping for ever', () => {
    const never = cal({ weekdays: [6], holidays: [] });
    expect(() => addWorkingTime(beijing('2026-11-18T10:00:00'), 100_000 * HOUR, never)).toThrow(RangeError);
  });
});

describe('policy.businessHours', () => {
  test('by default first contact, review and a complaint first response count working time, on the official calendar', () => {
    expect(parsePolicy({}).businessHours).toMatchObject({
      deadlines: ['first_contact', 'review', 'complaint_first_response'],
      calendar: 'cn_official',
      start: '09:00',
      end: '18:00',
      weekdays: [1, 2, 3, 4, 5],
    });
  });

  test('refuses a working day that ends before it starts or lasts under an hour, an unknown zone, a malformed date and an unknown deadline', () => {
    expect(() => parsePolicy({ businessHours: { start: '18:00', end: '09:00' } })).toThrow(/end after it starts/);
    expect(() => parsePolicy({ businessHours: { start: '09:00', end: '09:30' } })).toThrow(/at least one hour/);
    expect(() => parsePolicy({ businessHours: { timeZone: 'Mars/Olympus' } })).toThrow(/time zone/);
    expect(() => parsePolicy({ businessHours: { holidays: ['2026-13-01'] } })).toThrow(/YYYY-MM-DD/);
    expect(() => parsePolicy({ businessHours: { deadlines: ['consent'] } })).toThrow();
  });
});
