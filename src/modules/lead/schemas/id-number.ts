import { z } from 'zod';
import { validateIdNumber } from '../rules/id-number';

/** Full-width digits and X (what Chinese input methods often type) to their half-width forms. */
const HALF_WIDTH: Readonly<Record<string, string>> = Object.fromEntries([
  ...Array.from({ length: 10 }, (_, d) => [String.fromCharCode(0xff10 + d), String(d)]),
  ['Ｘ', 'X'],
  ['ｘ', 'x'],
]);

/**
 * A digit string as typed, with full-width digits (０-９) and a full-width Ｘ or ｘ made half-width, so
 * that `１１０１０５…` is checked, stored and compared as `110105…`. Nothing else is changed: any other
 * character still fails the field's check, with a message that says which rule it breaks.
 */
export const toHalfWidth = (v: string): string => v.replace(/[０-９Ｘｘ]/g, (c) => HALF_WIDTH[c] ?? c);

/** Why an ID number is refused: the rule it breaks, never the value. */
const ID_REASONS = {
  format: 'must be 18 characters: 17 digits and a check digit (0-9 or X)',
  region: 'does not start with a valid province code',
  birth_date: 'does not contain a valid birth date',
  check_digit: 'has a wrong check digit (GB 11643)',
} as const;

/**
 * A PRC resident ID number (GB 11643), checked for format, region, birth date and check digit, after
 * full-width digits and Ｘ are made half-width.
 */
export const idNumber = z
  .string()
  .overwrite(toHalfWidth)
  .superRefine((v, ctx) => {
    const r = validateIdNumber(v);
    if (!r.ok) ctx.addIssue({ code: 'custom', message: `ID number ${ID_REASONS[r.reason]}` });
  });
