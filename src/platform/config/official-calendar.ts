import { readFileSync } from 'node:fs';
import type { Policy } from './policy';

/**
 * China's official working calendar: the public holidays and the make-up working days (调休) the
 * State Council announces each year, as shipped by the `chinese-days` npm package (pinned in
 * package.json; a new version is published after each year's notice, usually in November).
 *
 * The package is read here, when the configuration is loaded, and never by workflow or rules code:
 * its dates are merged into `policy.businessHours` as plain lists, and reach the workflows inside
 * the policy each case is started with. Replay therefore never depends on the package's version.
 */
export const OFFICIAL_CALENDAR_SOURCE = 'chinese-days';

export interface OfficialCalendar {
  /** 'YYYY-MM-DD' days off, weekends inside a holiday included. */
  holidays: string[];
  /** 'YYYY-MM-DD' weekend days worked in exchange (调休). */
  workdays: string[];
  /** The last year the data covers (null when it covers none). */
  lastYear: number | null;
  /** Where the data came from, e.g. `chinese-days@1.5.7`. */
  source: string;
}

interface PackageData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The package's data, read from its published JSON (no network, no clock). */
export function readOfficialCalendar(): OfficialCalendar {
  const dataPath = require.resolve(`${OFFICIAL_CALENDAR_SOURCE}/dist/chinese-days.json`);
  const packagePath = require.resolve(`${OFFICIAL_CALENDAR_SOURCE}/package.json`);
  const data = JSON.parse(readFileSync(dataPath, 'utf8')) as PackageData;
  const { version } = JSON.parse(readFileSync(packagePath, 'utf8')) as { version: string };
  return officialCalendarFrom(data, `${OFFICIAL_CALENDAR_SOURCE}@${version}`);
}

/** The package's JSON shape turned into sorted date lists. */
export function officialCalendarFrom(data: PackageData, source: string): OfficialCalendar {
  const dates = (o: Record<string, string> | undefined) =>
    Object.keys(o ?? {})
      .filter((d) => DATE.test(d))
      .sort();
  const holidays = dates(data.holidays);
  const workdays = dates(data.workdays);
  const years = [...holidays, ...workdays].map((d) => Number(d.slice(0, 4)));
  return { holidays, workdays, lastYear: years.length ? Math.max(...years) : null, source };
}

/**
 * The policy with the official days merged into `businessHours` (when its `calendar` is
 * `cn_official`), keeping only the years from `fromYear` on: deadlines start now, so older years
 * would only make every case's input larger. The firm's own days win: its holiday on an official
 * make-up working day is a holiday, its working day on an official holiday is worked.
 */
export function withOfficialCalendar(policy: Policy, official: OfficialCalendar, fromYear: number): Policy {
  const hours = policy.businessHours;
  if (hours.calendar !== 'cn_official') return policy;
  const inRange = (d: string) => Number(d.slice(0, 4)) >= fromYear;
  const holidays = official.holidays.filter((d) => inRange(d) && !hours.workdays.includes(d));
  const workdays = official.workdays.filter((d) => inRange(d) && !hours.holidays.includes(d));
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
  return {
    ...policy,
    businessHours: { ...hours, holidays: union(holidays, hours.holidays), workdays: union(workdays, hours.workdays) },
  };
}

/**
 * What loadConfig does with a parsed policy: with `calendar: 'cn_official'`, the package's days
 * from last year on merged in, and where they came from (for the check at start).
 */
export function withWorkingCalendar(
  policy: Policy,
  now: Date = new Date(),
): { policy: Policy; officialCalendar?: Pick<OfficialCalendar, 'source' | 'lastYear'> } {
  if (policy.businessHours.calendar !== 'cn_official') return { policy };
  const official = readOfficialCalendar();
  const fromYear = yearIn(now, policy.businessHours.timeZone) - 1;
  return {
    policy: withOfficialCalendar(policy, official, fromYear),
    officialCalendar: { source: official.source, lastYear: official.lastYear },
  };
}

/** The calendar year at `now` in the working calendar's time zone. */
export function yearIn(now: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric' }).format(now));
}

/**
 * A warning when the official calendar does not cover the coming year (the year after `now`'s, in
 * `timeZone`): from then on deadlines would treat its holidays as working days. Null when covered,
 * or when the policy does not use the official calendar.
 */
export function calendarCoverageWarning(
  official: Pick<OfficialCalendar, 'lastYear' | 'source'>,
  policy: Policy,
  now: Date,
): string | null {
  if (policy.businessHours.calendar !== 'cn_official') return null;
  const coming = yearIn(now, policy.businessHours.timeZone) + 1;
  if (official.lastYear !== null && official.lastYear >= coming) return null;
  return (
    `the official working calendar (${official.source}) ends with ${official.lastYear ?? 'no year'}: ` +
    `${coming}'s holidays and make-up working days are missing, so deadlines would count them as ordinary days. ` +
    `Update the package (npm install --save-exact ${OFFICIAL_CALENDAR_SOURCE}@<version>) once the State Council ` +
    `has published ${coming}'s calendar, or list its days in policy.businessHours.holidays and workdays.`
  );
}

/** At start (API and worker): logs the coverage warning, if any. Returns it, for tests. */
export function warnIfCalendarEnds(
  cfg: { policy: Policy; officialCalendar?: Pick<OfficialCalendar, 'lastYear' | 'source'> },
  logger: { warn: (details: object, message: string) => void },
  now: Date = new Date(),
): string | null {
  if (!cfg.officialCalendar) return null;
  const warning = calendarCoverageWarning(cfg.officialCalendar, cfg.policy, now);
  if (warning) logger.warn({ calendar: cfg.officialCalendar }, warning);
  return warning;
}
