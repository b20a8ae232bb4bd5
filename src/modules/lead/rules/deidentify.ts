/**
 * Coarse, non-identifying facts kept for statistics after a case's personal data is erased.
 * Bands are wide enough that, together with a city prefix, they do not single out a person.
 */
import type { AgeBand } from '../../../platform/domain/types';

/** Ages below 18 fall into '18-21': minors are refused at intake, so none should reach statistics. */
export function ageBand(age: number): AgeBand {
  if (age < 22) return '18-21';
  if (age < 30) return '22-29';
  if (age < 40) return '30-39';
  if (age < 50) return '40-49';
  if (age < 60) return '50-59';
  return '60+';
}

export type AmountBand = '<50k' | '50k-100k' | '100k-200k' | '200k-300k' | '>=300k';

/** Lower bound inclusive: 50,000 is '50k-100k'. */
export function amountBand(amountCny: number): AmountBand {
  if (amountCny < 50_000) return '<50k';
  if (amountCny < 100_000) return '50k-100k';
  if (amountCny < 200_000) return '100k-200k';
  if (amountCny < 300_000) return '200k-300k';
  return '>=300k';
}

/** The city (first 4 digits) of a 6-digit region code; the county would narrow too far. 'unknown' if unreadable. */
export function regionPrefix(regionCode: string): string {
  return /^\d{4}/.test(regionCode) ? regionCode.slice(0, 4) : 'unknown';
}
