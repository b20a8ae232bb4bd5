/** Test factories for the pure rules: valid ID numbers, products and policies. */
import { parsePolicy, type Policy } from '../../src/platform/config/policy';
import { checkDigitFor } from '../../src/modules/lead/rules/id-number';
import type { ProductFacts } from '../../src/modules/lead/rules/matching';

/** A valid 18-character ID number; the check character is computed, never hard-coded. */
export function validIdNumber(parts: { region?: string; birth?: string; sequence?: string } = {}): string {
  const first17 = `${parts.region ?? '110105'}${parts.birth ?? '19900101'}${parts.sequence ?? '123'}`;
  return first17 + checkDigitFor(first17);
}

/** Replaces the check character with one that is certainly wrong. */
export function withWrongCheckDigit(id: string): string {
  const right = id[17]!.toUpperCase();
  const wrong = right === '0' ? '1' : '0';
  return id.slice(0, 17) + wrong;
}

export function policyWith(overrides: unknown): Policy {
  return parsePolicy(overrides);
}

export function aProduct(overrides: Partial<ProductFacts> = {}): ProductFacts {
  return {
    productId: 'P-DEFAULT',
    lenderId: 'L-BANK',
    lenderLicensed: true,
    lenderActive: true,
    lenderType: 'bank',
    partnerListing: { listed: true, since: '2025-10-01', until: null },
    active: true,
    repayment: 'equal_instalment',
    nominalAprPct: 18,
    fees: [],
    amountMin: 10_000,
    amountMax: 200_000,
    termMinMonths: 6,
    termMaxMonths: 36,
    secured: false,
    disbursementDays: 3,
    eligibleTiers: ['A', 'B'],
    provinces: 'nationwide',
    allowsNonLocal: true,
    ageMin: 18,
    ageMax: 60,
    commissionPct: 2,
    ...overrides,
  };
}

/** An instant given as Beijing wall-clock time (UTC+8, no DST), built from UTC so the test machine's zone is irrelevant. */
export function beijing(isoLocal: string): Date {
  return new Date(`${isoLocal}+08:00`);
}
