import { formatLocalDate, localDateTime } from './local-time';

/**
 * Working time: deadlines that count only the hours a team works. A calendar says which local
 * hours of which days are worked: the working weekdays, minus holidays, plus the weekend days
 * worked in exchange for a holiday bridge (调休). Pure, and deterministic for a given instant, so
 * the lead workflow can compute its deadlines with it.
 */
export interface WorkingCalendar {
  timeZone: string;
  /** 'HH:MM' local: the working day's opening and closing. */
  start: string;
  end: string;
  /** ISO weekdays worked: 1 Monday … 7 Sunday. */
  weekdays: number[];
  /** 'YYYY-MM-DD' local dates not worked although their weekday is. */
  holidays: string[];
  /** 'YYYY-MM-DD' local dates worked although their weekday is not. */
  workdays: string[];
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Far enough for any deadline; a calendar with no working day in it fails instead of looping. */
const MAX_DAYS = 3_660;

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));

/** The instant at which the wall clock in `timeZone` reads `date` at `minutes` past midnight. */
function instantOf(date: LocalDate, minutes: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day) + minutes * MINUTE;
  let guess = wall;
  // Two rounds settle the zone's offset, daylight saving included.
  for (let i = 0; i < 2; i++) {
    const l = localDateTime(new Date(guess), timeZone);
    const readsAs = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute);
    guess += wall - readsAs;
  }
  return guess;
}

function nextDate(d: LocalDate): LocalDate {
  const next = new Date(Date.UTC(d.year, d.month - 1, d.day) + DAY);
  return { year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() };
}

export function isWorkingDay(date: LocalDate, cal: WorkingCalendar): boolean {
  const key = formatLocalDate(date);
  if (cal.workdays.includes(key)) return true;
  if (cal.holidays.includes(key)) return false;
  const weekday = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() || 7;
  return cal.weekdays.includes(weekday);
}

/**
 * The instant when `workMs` of working time has passed since `startMs`. Time outside working hours
 * does not count: a clock started in the evening begins at the next opening.
 */
export function addWorkingTime(startMs: number, workMs: number, cal: WorkingCalendar): number {
  const open = minutesOf(cal.start);
  const close = minutesOf(cal.end);
  const l = localDateTime(new Date(startMs), cal.timeZone);
  let date: LocalDate = { year: l.year, month: l.month, day: l.day };
  let left = Math.max(0, workMs);
  for (let i = 0; i < MAX_DAYS; i++, date = nextDate(date)) {
    if (!isWorkingDay(date, cal)) continue;
    const from = Math.max(startMs, instantOf(date, open, cal.timeZone));
    const until = instantOf(date, close, cal.timeZone);
    if (from >= until) continue;
    if (left <= until - from) return from + left;
    left -= until - from;
  }
  throw new RangeError(`the working calendar has too little working time for a deadline of ${workMs} ms`);
}
