import { loadConfig } from '../../src/platform/config';
import {
  calendarCoverageWarning,
  officialCalendarFrom,
  readOfficialCalendar,
  warnIfCalendarEnds,
  withOfficialCalendar,
  withWorkingCalendar,
  yearIn,
} from '../../src/platform/config/official-calendar';
import { parsePolicy, type Policy } from '../../src/platform/config/policy';
import { addWorkingTime, isWorkingDay } from '../../src/platform/domain/business-hours';
import { deadlineFrom, HOUR, nextMark, workingCalendarFor } from '../../src/modules/lead/workflow/deadlines';
import { complaintDeadlines, nextComplaintMark } from '../../src/modules/complaint/rules';

/** An instant given as Beijing wall-clock time (UTC+8, no daylight saving). */
const beijing = (local: string) => Date.parse(`${local}+08:00`);
const iso = (local: string) => new Date(beijing(local)).toISOString();
const day = (date: string) => {
  const [year, month, d] = date.split('-').map(Number);
  return { year: year!, month: month!, day: d! };
};

const official = readOfficialCalendar();
/** The default policy with the official calendar merged in, as loadConfig does it (from 2025 on). */
const withCalendar = (overrides: unknown = {}): Policy => withOfficialCalendar(parsePolicy(overrides), official, 2025);

describe('the official calendar from chinese-days', () => {
  test('names its source with the installed version and covers at least 2026', () => {
    expect(official.source).toMatch(/^chinese-days@\d+\.\d+\.\d+$/);
    expect(official.lastYear).toBeGreaterThanOrEqual(2026);
  });

  test('National Day 2025: 1 to 8 October off, Sunday 28 September and Saturday 11 October worked', () => {
    const cal = withCalendar().businessHours;
    for (const d of ['2025-10-01', '2025-10-02', '2025-10-03', '2025-10-06', '2025-10-07', '2025-10-08']) {
      expect([d, isWorkingDay(day(d), cal)]).toEqual([d, false]);
    }
    expect(isWorkingDay(day('2025-09-28'), cal)).toBe(true);
    expect(isWorkingDay(day('2025-10-11'), cal)).toBe(true);
    expect(isWorkingDay(day('2025-10-09'), cal)).toBe(true);
    expect(isWorkingDay(day('2025-10-12'), cal)).toBe(false);
  });

  test('Spring Festival 2026: 15 to 23 February off, Saturdays 14 and 28 February worked', () => {
    const cal = withCalendar().businessHours;
    for (const d of ['2026-02-15', '2026-02-16', '2026-02-17', '2026-02-20', '2026-02-23']) {
      expect([d, isWorkingDay(day(d), cal)]).toEqual([d, false]);
    }
    expect(isWorkingDay(day('2026-02-14'), cal)).toBe(true);
    expect(isWorkingDay(day('2026-02-28'), cal)).toBe(true);
    expect(isWorkingDay(day('2026-02-24'), cal)).toBe(true);
  });

  test('reads the package JSON shape into sorted lists and finds the last year', () => {
    const cal = officialCalendarFrom(
      { holidays: { '2027-01-01': 'New Year', '2026-10-01': 'National Day', note: 'x' }, workdays: {} },
      'test',
    );
    expect(cal).toEqual({ holidays: ['2026-10-01', '2027-01-01'], workdays: [], lastYear: 2027, source: 'test' });
  });
});

describe('deadlines on the official calendar (the default policy)', () => {
  const policy = withCalendar();

  test('first contact, review and a complaint first response count working time by default; follow-up does not', () => {
    expect(parsePolicy({}).businessHours.deadlines).toEqual(['first_contact', 'review', 'complaint_first_response']);
    expect(parsePolicy({}).businessHours.calendar).toBe('cn_official');
    expect(workingCalendarFor('first_contact', policy)).not.toBeNull();
    expect(workingCalendarFor('review', policy)).not.toBeNull();
    expect(workingCalendarFor('follow_up', policy)).toBeNull();
  });

  test('a 4 h first contact given at 17:00 on the eve of National Day 2025 is due at 12:00 on 9 October', () => {
    const d = deadlineFrom('first_contact', beijing('2025-09-30T17:00:00'), 4 * HOUR, policy);
    expect(d.dueAt).toBe(iso('2025-10-09T12:00:00'));
    // Its 50 % reminder: 1 h on 30 September, then 1 h into 9 October.
    expect(new Date(nextMark(d, policy).at).toISOString()).toBe(iso('2025-10-09T10:00:00'));
  });

  test('the make-up Saturday 11 October 2025 counts as a working day', () => {
    const d = deadlineFrom('first_contact', beijing('2025-10-10T17:00:00'), 4 * HOUR, policy);
    expect(d.dueAt).toBe(iso('2025-10-11T12:00:00'));
  });

  test('Spring Festival 2026: the make-up Saturday before it counts, the nine days off do not', () => {
    const friday = deadlineFrom('first_contact', beijing('2026-02-13T17:00:00'), 4 * HOUR, policy);
    expect(friday.dueAt).toBe(iso('2026-02-14T12:00:00'));
    const saturday = deadlineFrom('review', beijing('2026-02-14T17:00:00'), 4 * HOUR, policy);
    expect(saturday.dueAt).toBe(iso('2026-02-24T12:00:00'));
  });

  test('a 24 h review given on the make-up Saturday before Spring Festival 2026 runs across it', () => {
    // 14 February 09:00–18:00 (9 h), 24 February (9 h), then 6 h of 25 February.
    expect(deadlineFrom('review', beijing('2026-02-14T09:00:00'), 24 * HOUR, policy).dueAt).toBe(
      iso('2026-02-25T15:00:00'),
    );
  });

  test('a high-priority complaint filed at 17:30 on 30 September 2025 is due at 10:30 on 9 October', () => {
    const due = complaintDeadlines('high', new Date(beijing('2025-09-30T17:30:00')), policy);
    expect(due.firstResponseDueAt.toISOString()).toBe(iso('2025-10-09T10:30:00'));
    expect(due.firstResponseWorkingMs).toBe(2 * HOUR);
    const clock = {
      startedAt: iso('2025-09-30T17:30:00'),
      dueAt: due.firstResponseDueAt.toISOString(),
      reminded: false,
      escalated: false,
      workingMs: due.firstResponseWorkingMs,
    };
    const mark = nextComplaintMark({ firstResponse: clock, resolution: null }, 0.5, policy.businessHours);
    expect(mark).toEqual({ kind: 'first_response_reminder', at: beijing('2025-10-09T09:30:00') });
    // Resolution stays on the clock: 15 days.
    expect(due.resolutionDueAt.toISOString()).toBe(iso('2025-10-15T17:30:00'));
  });

  test('a policy switches any deadline back to the clock', () => {
    const clock = withCalendar({ businessHours: { deadlines: ['first_contact'] } });
    expect(deadlineFrom('review', beijing('2025-09-30T17:00:00'), 4 * HOUR, clock).dueAt).toBe(
      iso('2025-09-30T21:00:00'),
    );
    const due = complaintDeadlines('high', new Date(beijing('2025-09-30T17:30:00')), clock);
    expect(due.firstResponseDueAt.toISOString()).toBe(iso('2025-09-30T19:30:00'));
    expect(due.firstResponseWorkingMs).toBeUndefined();
    expect(deadlineFrom('first_contact', beijing('2025-09-30T17:00:00'), 4 * HOUR, clock).dueAt).toBe(
      iso('2025-10-09T12:00:00'),
    );
  });
});

describe('overriding the official calendar', () => {
  test("the firm's own holidays and working days are added, and win over the official days", () => {
    const policy = withCalendar({
      businessHours: { holidays: ['2025-10-09', '2025-10-11'], workdays: ['2025-10-08'] },
    });
    const cal = policy.businessHours;
    expect(isWorkingDay(day('2025-10-09'), cal)).toBe(false);
    expect(isWorkingDay(day('2025-10-11'), cal)).toBe(false);
    expect(isWorkingDay(day('2025-10-08'), cal)).toBe(true);
    expect(cal.holidays).not.toContain('2025-10-08');
    expect(cal.workdays).not.toContain('2025-10-11');
    expect(addWorkingTime(beijing('2025-09-30T17:00:00'), 4 * HOUR, cal)).toBe(beijing('2025-10-08T12:00:00'));
  });

  test("calendar 'none' keeps only the firm's own days", () => {
    const policy = withCalendar({ businessHours: { calendar: 'none', holidays: ['2025-10-09'] } });
    expect(policy.businessHours.holidays).toEqual(['2025-10-09']);
    expect(policy.businessHours.workdays).toEqual([]);
  });

  test('only the years from the one given on are kept', () => {
    const policy = withOfficialCalendar(parsePolicy({}), official, 2026);
    expect(policy.businessHours.holidays.every((d) => d >= '2026-01-01')).toBe(true);
    expect(policy.businessHours.holidays).toContain('2026-10-01');
  });

  test('a date listed both as a holiday and as a working day is refused', () => {
    expect(() => parsePolicy({ businessHours: { holidays: ['2026-10-09'], workdays: ['2026-10-09'] } })).toThrow(
      /both as a holiday and as a working day/,
    );
  });

  test('at load, the days from last year (in Asia/Shanghai) on are merged in', () => {
    const loaded = withWorkingCalendar(parsePolicy({}), new Date('2026-06-01T00:00:00Z'));
    expect(loaded.officialCalendar).toEqual({ source: official.source, lastYear: official.lastYear });
    expect(loaded.policy.businessHours.holidays[0]! >= '2025-01-01').toBe(true);
    expect(loaded.policy.businessHours.holidays).toContain('2025-10-08');
    expect(loaded.policy.businessHours.workdays).toContain('2026-02-28');
    expect(withWorkingCalendar(parsePolicy({ businessHours: { calendar: 'none' } }))).toEqual({
      policy: parsePolicy({ businessHours: { calendar: 'none' } }),
    });
  });

  test('loadConfig merges the official days into the policy and says where they came from', () => {
    const cfg = loadConfig({ NODE_ENV: 'test' });
    expect(cfg.officialCalendar).toEqual({ source: official.source, lastYear: official.lastYear });
    const fromYear = yearIn(new Date(), 'Asia/Shanghai') - 1;
    expect(cfg.policy.businessHours.holidays).toEqual(
      official.holidays.filter((d) => Number(d.slice(0, 4)) >= fromYear),
    );
  });
});

describe("the calendar's last year is checked at start", () => {
  const policy = parsePolicy({});

  test('a warning when the coming year, in Asia/Shanghai, is missing', () => {
    const cal = { lastYear: 2026, source: 'chinese-days@1.5.7' };
    // 31 December 2025 23:00 in Shanghai: the coming year is 2026, covered.
    expect(calendarCoverageWarning(cal, policy, new Date('2025-12-31T15:00:00Z'))).toBeNull();
    // 1 January 2026 01:00 in Shanghai (still 2025 in UTC): the coming year is 2027, missing.
    expect(calendarCoverageWarning(cal, policy, new Date('2025-12-31T17:00:00Z'))).toMatch(/2027/);
    expect(calendarCoverageWarning(cal, parsePolicy({ businessHours: { calendar: 'none' } }), new Date())).toBeNull();
  });

  test('the API and the worker log it as a warning', () => {
    const warnings: string[] = [];
    const logger = { warn: (_details: object, message: string) => void warnings.push(message) };
    const cfg = { policy, officialCalendar: { lastYear: 2026, source: 'chinese-days@1.5.7' } };
    warnIfCalendarEnds(cfg, logger, new Date('2026-12-07T06:00:00Z'));
    expect(warnings).toEqual([expect.stringContaining("2027's holidays and make-up working days are missing")]);
    warnIfCalendarEnds(cfg, logger, new Date('2025-06-01T00:00:00Z'));
    expect(warnings).toHaveLength(1);
  });
});
