/**
 * Mainland resident identity number (公民身份号码, GB 11643-1999).
 * Layout: 6-digit region code, 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male),
 * and a check character computed with ISO 7064 MOD 11-2 ('X' stands for 10).
 */
import { localDateTime } from '../../../platform/domain/local-time';

export type IdNumberRefusal = 'format' | 'region' | 'birth_date' | 'check_digit';
export type IdNumberValidation = { ok: true } | { ok: false; reason: IdNumberRefusal };

export interface ParsedIdNumber {
  /** 6 digits: province, city, county. */
  regionCode: string;
  /** 2 digits. */
  provinceCode: string;
  /** 4 digits. */
  cityCode: string;
  /** YYYY-MM-DD. */
  birthDate: string;
  sex: 'male' | 'female';
}

/** Province-level codes that can open an ID number (71 Taiwan, 81 Hong Kong, 82 Macao included). */
const PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
]);

// Weight of position i is 2^(17-i) mod 11; spelled out so the table can be checked against the standard.
const CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
// Indexed by (weighted sum mod 11).
const CHECK_CHARS = '10X98765432';

const EARLIEST_BIRTH_YEAR = 1900;

export function isProvinceCode(code: string): boolean {
  return PROVINCE_CODES.has(code);
}

/** The 18th character for the first 17 digits. Throws if `first17` is not 17 digits. */
export function checkDigitFor(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('checkDigitFor expects exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * CHECK_WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

export function validateIdNumber(id: string): IdNumberValidation {
  if (!/^\d{17}[\dXx]$/.test(id)) return { ok: false, reason: 'format' };
  if (!isProvinceCode(id.slice(0, 2))) return { ok: false, reason: 'region' };
  if (!isRealBirthDate(id.slice(6, 14))) return { ok: false, reason: 'birth_date' };
  if (checkDigitFor(id.slice(0, 17)) !== id[17]!.toUpperCase()) return { ok: false, reason: 'check_digit' };
  return { ok: true };
}

/** Facts the ID number itself carries. Throws RangeError (with the refusal reason) if it is invalid. */
export function parseIdNumber(id: string): ParsedIdNumber {
  const validation = validateIdNumber(id);
  if (!validation.ok) throw new RangeError(`invalid ID number: ${validation.reason}`);
  const birth = id.slice(6, 14);
  return {
    regionCode: id.slice(0, 6),
    provinceCode: id.slice(0, 2),
    cityCode: id.slice(0, 4),
    birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
    sex: Number(id[16]) % 2 === 1 ? 'male' : 'female',
  };
}

/**
 * Full years of age on the local date of `on` in `timeZone` (the customer's calendar, not UTC).
 * Someone born on 29 February becomes a year older on 1 March in non-leap years.
 */
export function ageOn(birthDate: string, on: Date, timeZone = 'Asia/Shanghai'): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate);
  if (!match) throw new RangeError('birthDate must be YYYY-MM-DD');
  const [birthYear, birthMonth, birthDay] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const today = localDateTime(on, timeZone);
  const birthdayReached = today.month > birthMonth || (today.month === birthMonth && today.day >= birthDay);
  return today.year - birthYear - (birthdayReached ? 0 : 1);
}

function isRealBirthDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < EARLIEST_BIRTH_YEAR || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
