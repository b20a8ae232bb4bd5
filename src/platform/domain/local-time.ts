/**
 * Reading an instant as a wall-clock date and time in a named time zone.
 * Pure: the instant is always passed in, and Intl does the zone arithmetic (DST included),
 * so workflow code can call this deterministically.
 */

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number; // 0-23
  minute: number;
}

// Building a DateTimeFormat is comparatively costly; one per zone is enough.
const formattersByZone = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formattersByZone.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      // h23, not hour12:false, which some ICU versions render as "24" at midnight.
      hourCycle: 'h23',
    });
    formattersByZone.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock reading of `at` in `timeZone`. Throws RangeError for an invalid date or zone. */
export function localDateTime(at: Date, timeZone: string): LocalDateTime {
  const parts = formatterFor(timeZone).formatToParts(at);
  const field = (type: Intl.DateTimeFormatPartTypes): number => {
    const part = parts.find((p) => p.type === type);
    if (!part) throw new RangeError(`cannot read ${type} of ${String(at)} in ${timeZone}`);
    return Number(part.value);
  };
  return {
    year: field('year'),
    month: field('month'),
    day: field('day'),
    hour: field('hour'),
    minute: field('minute'),
  };
}

export const pad2 = (n: number): string => String(n).padStart(2, '0');

/** 'YYYY-MM-DD' of a local date. */
export function formatLocalDate(local: Pick<LocalDateTime, 'year' | 'month' | 'day'>): string {
  return `${String(local.year).padStart(4, '0')}-${pad2(local.month)}-${pad2(local.day)}`;
}
