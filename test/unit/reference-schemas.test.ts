import { lenderSchema, productSchema } from '../../src/modules/reference/schemas';
import { disclosureHash } from '../../src/modules/lead/activities/decisions';
import { canonicalJson } from '../../src/platform/domain/canonical-json';
import { costDisclosure } from '../../src/modules/lead/rules/cost';

const lender = {
  id: 'lender-test',
  name: 'Test bank',
  licenceNo: 'T-1',
  licensed: true,
  type: 'bank',
  partnerListing: { listed: true, since: '2025-10-01', until: null, reference: 'TEST-名单' },
};
const product = {
  id: 'prod-test',
  lenderId: 'lender-test',
  name: 'test',
  repayment: 'equal_instalment',
  nominalAprPct: 18,
  fees: [{ name: '担保费', payee: 'guarantor', basis: 'upfront_pct_of_principal', value: 3 }],
  amountMin: 1000,
  amountMax: 100000,
  termMinMonths: 3,
  termMaxMonths: 36,
  secured: false,
  disbursementDays: 1,
  eligibleTiers: ['A'],
  provinces: null,
  allowsNonLocal: true,
  ageMin: 18,
  ageMax: 60,
};
const pathsOf = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) =>
  r.success ? [] : r.error!.issues.map((i) => i.path.join('.'));

describe('lenders and products as an admin saves them', () => {
  test('a lender with its type and listing is accepted; an open listing defaults until and reference to null', () => {
    expect(lenderSchema.safeParse(lender).success).toBe(true);
    const parsed = lenderSchema.parse({ ...lender, partnerListing: { listed: true, since: '2025-10-01' } });
    expect(parsed.partnerListing).toEqual({ listed: true, since: '2025-10-01', until: null, reference: null });
    expect(lenderSchema.parse({ ...lender, partnerListing: { listed: false } }).partnerListing.listed).toBe(false);
  });

  test('a listing whose until is before its since, a listing with no start, or an unknown type is refused', () => {
    const backwards = { ...lender.partnerListing, since: '2026-06-01', until: '2026-01-01' };
    expect(pathsOf(lenderSchema.safeParse({ ...lender, partnerListing: backwards }))).toEqual(['partnerListing.until']);
    expect(pathsOf(lenderSchema.safeParse({ ...lender, partnerListing: { listed: true } }))).toEqual([
      'partnerListing.since',
    ]);
    expect(pathsOf(lenderSchema.safeParse({ ...lender, type: 'pawnshop' }))).toEqual(['type']);
    expect(
      pathsOf(lenderSchema.safeParse({ ...lender, partnerListing: { ...lender.partnerListing, since: '2026-02-30' } })),
    ).toEqual(['partnerListing.since']);
  });

  test('a product states its repayment, nominal rate and fees; an unknown payee or basis and the old APR fields are refused', () => {
    expect(productSchema.safeParse(product).success).toBe(true);
    const fee = product.fees[0]!;
    expect(pathsOf(productSchema.safeParse({ ...product, fees: [{ ...fee, payee: 'consultant' }] }))).toEqual([
      'fees.0.payee',
    ]);
    expect(pathsOf(productSchema.safeParse({ ...product, fees: [{ ...fee, basis: 'yearly' }] }))).toEqual([
      'fees.0.basis',
    ]);
    expect(productSchema.safeParse({ ...product, aprMinPct: 3, aprMaxPct: 4 }).success).toBe(false);
    expect(pathsOf(productSchema.safeParse({ ...product, fees: [{ ...fee, value: -1 }] }))).toEqual(['fees.0.value']);
  });
});

describe('the disclosure hash', () => {
  test('is the SHA-256 of canonical JSON: key order does not change it, any figure does', () => {
    const d = costDisclosure({ repayment: 'equal_instalment', nominalAprPct: 18, fees: [] }, 10_000, 12);
    const reordered = Object.fromEntries(Object.entries(d).reverse()) as typeof d;
    expect(canonicalJson(reordered)).toBe(canonicalJson(d));
    expect(disclosureHash(reordered)).toBe(disclosureHash(d));
    expect(disclosureHash(d)).toMatch(/^[0-9a-f]{64}$/);
    expect(disclosureHash({ ...d, allInAprPct: 18.01 })).not.toBe(disclosureHash(d));
  });
});
