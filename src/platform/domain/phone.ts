/** Mainland mobile numbers: 11 digits, 1 then 3-9 (no landlines, no service numbers). */

/**
 * Strips spaces, dashes and a leading +86 / 0086 / 86 country code.
 * Returns the cleaned string even when it is not a valid mobile, so callers can still show it.
 */
export function normalizeMobile(phone: string): string {
  const compact = phone.replace(/[\s-]/g, '');
  const withoutCountryCode = compact.replace(/^(?:\+86|0086|86)(?=1\d{10}$)/, '');
  return withoutCountryCode;
}

export function isMainlandMobile(phone: string): boolean {
  return /^1[3-9]\d{9}$/.test(normalizeMobile(phone));
}
