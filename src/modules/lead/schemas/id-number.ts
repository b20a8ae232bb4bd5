import { z } from 'zod';
import { validateIdNumber } from '../rules/id-number';

/** Why an ID number is refused: the rule it breaks, never the value. */
const ID_REASONS = {
  format: 'must be 18 characters: 17 digits and a check digit (0-9 or X)',
  region: 'does not start with a valid province code',
  birth_date: 'does not contain a valid birth date',
  check_digit: 'has a wrong check digit (GB 11643)',
} as const;

/** A PRC resident ID number (GB 11643), checked for format, region, birth date and check digit. */
export const idNumber = z.string().superRefine((v, ctx) => {
  const r = validateIdNumber(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `ID number ${ID_REASONS[r.reason]}` });
});
