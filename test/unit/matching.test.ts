import { defaultPolicy } from '../../src/platform/config/policy';
import { matchProducts, type LeadForMatching, type ProductFacts } from '../../src/modules/lead/rules/matching';
import { aProduct, policyWith } from './factories';

const policy = defaultPolicy();
const capsOf = (pct: number) => ({ bank: pct, consumer_finance: pct, microlender: pct, trust: pct, other: pct });
const aLead = (overrides: Partial<LeadForMatching> = {}): LeadForMatching => ({
  amount: 50_000,
  termMonths: 12,
  tier: 'A',
  age: 35,
  provinceCode: '11',
  local: true,
  channelGrade: 'general',
  at: '2026-12-07T02:00:00Z',
  ...overrides,
});
const rankedIds = (lead: LeadForMatching, products: ProductFacts[], p = policy): string[] =>
  matchProducts(lead, products, p).matches.map((m) => m.productId);
const exclusionOf = (lead: LeadForMatching, product: ProductFacts, p = policy): string[] =>
  matchProducts(lead, [product], p).excluded[0]?.reasons ?? [];

describe('which products a case may be offered', () => {
  it('a product that fits on every count is matched, with the reasons why and its cost for this case', () => {
    const result = matchProducts(aLead(), [aProduct({ productId: 'P1', lenderId: 'L1' })], policy);
    expect(result.excluded).toEqual([]);
    expect(result.matches).toMatchObject([
      {
        productId: 'P1',
        lenderId: 'L1',
        rank: 1,
        score: 100,
        reasons: [
          'lender_licensed_and_active',
          'on_partner_list',
          'all_in_cost_within_cap',
          'amount_in_range',
          'term_in_range',
          'tier_eligible',
          'region_served',
          'age_in_range',
          'lower_apr_preferred_for_tier_a',
        ],
        allInAprPct: 18,
        capPct: 24,
        costDisclosure: { principal: 50_000, termMonths: 12, allInAprPct: 18, fees: [], received: 50_000 },
      },
    ]);
  });

  it.each<[string, Partial<ProductFacts>, string]>([
    ['an unlicensed lender', { lenderLicensed: false }, 'lender_unlicensed'],
    ['an inactive lender', { lenderActive: false }, 'lender_inactive'],
    ['an inactive product', { active: false }, 'product_inactive'],
    ['an all-in cost above the 24 % cap', { nominalAprPct: 24.01 }, 'all_in_cost_above_cap'],
    [
      'a lender that does not list us',
      { partnerListing: { listed: false, since: null, until: null } },
      'not_on_partner_list',
    ],
    [
      'a listing that lapsed the day before',
      { partnerListing: { listed: true, since: '2025-10-01', until: '2026-12-06' } },
      'not_on_partner_list',
    ],
    [
      'a listing that starts the day after',
      { partnerListing: { listed: true, since: '2026-12-08', until: null } },
      'not_on_partner_list',
    ],
    [
      'upfront fees that take the whole principal',
      { fees: [{ name: 'x', payee: 'lender', basis: 'flat_upfront', value: 50_000 }] },
      'all_in_cost_undefined',
    ],
    ['a minimum amount above the request', { amountMin: 60_000 }, 'amount_out_of_range'],
    ['a maximum amount below the request', { amountMax: 40_000 }, 'amount_out_of_range'],
    ['a minimum term above the request', { termMinMonths: 24 }, 'term_out_of_range'],
    ['a maximum term below the request', { termMaxMonths: 6 }, 'term_out_of_range'],
    ['no place for tier A', { eligibleTiers: ['B'] }, 'tier_not_eligible'],
    ['other provinces only', { provinces: ['31', '44'] }, 'region_not_served'],
    ['a minimum age above the customer', { ageMin: 40 }, 'age_out_of_range'],
    ['a maximum age below the customer', { ageMax: 30 }, 'age_out_of_range'],
  ])('a product with %s is excluded', (_case, overrides, reason) => {
    expect(exclusionOf(aLead(), aProduct(overrides))).toEqual([reason]);
  });

  it('an all-in cost exactly at the cap is allowed', () => {
    expect(rankedIds(aLead(), [aProduct({ productId: 'P1', nominalAprPct: 24 })])).toEqual(['P1']);
  });

  it('amount, term and age limits are inclusive', () => {
    const product = aProduct({
      productId: 'P1',
      amountMin: 50_000,
      amountMax: 50_000,
      termMinMonths: 12,
      termMaxMonths: 12,
      ageMin: 35,
      ageMax: 35,
    });
    expect(rankedIds(aLead(), [product])).toEqual(['P1']);
  });

  it('a product serving the customer province is matched', () => {
    expect(rankedIds(aLead({ provinceCode: '44' }), [aProduct({ productId: 'P1', provinces: ['31', '44'] })])).toEqual([
      'P1',
    ]);
  });

  it('a non-local case is matched only to products that allow it', () => {
    const lead = aLead({ local: false });
    expect(exclusionOf(lead, aProduct({ allowsNonLocal: false }))).toEqual(['non_local_not_allowed']);
    const result = matchProducts(lead, [aProduct({ productId: 'P1', allowsNonLocal: true })], policy);
    expect(result.matches[0]?.reasons).toContain('non_local_allowed');
  });

  it('a local case may take a product that does not allow non-local cases', () => {
    expect(rankedIds(aLead({ local: true }), [aProduct({ productId: 'P1', allowsNonLocal: false })])).toEqual(['P1']);
  });

  it('an amount above the channel grade maximum is not matched: 50,000 from a risk channel is fine, 50,001 is not', () => {
    const product = aProduct({ productId: 'P1' });
    expect(rankedIds(aLead({ amount: 50_000, channelGrade: 'risk' }), [product])).toEqual(['P1']);
    expect(exclusionOf(aLead({ amount: 50_001, channelGrade: 'risk' }), product)).toEqual([
      'amount_above_channel_grade_max',
    ]);
    expect(rankedIds(aLead({ amount: 150_000, channelGrade: 'general' }), [product])).toEqual(['P1']);
  });

  it('a tier-C case is never matched, even to a product that names tier C', () => {
    const result = matchProducts(
      aLead({ tier: 'C' }),
      [aProduct({ productId: 'P1', eligibleTiers: ['A', 'B', 'C'] })],
      policy,
    );
    expect(result.matches).toEqual([]);
    expect(result.excluded).toEqual([{ productId: 'P1', reasons: ['tier_c_not_matched'] }]);
  });

  it('every reason for an exclusion is listed, not only the first', () => {
    expect(exclusionOf(aLead(), aProduct({ lenderLicensed: false, nominalAprPct: 36, ageMax: 30 }))).toEqual([
      'lender_unlicensed',
      'all_in_cost_above_cap',
      'age_out_of_range',
    ]);
  });

  it('a lower cap in the policy excludes a product that was fine', () => {
    const product = aProduct({ productId: 'P1', nominalAprPct: 18 });
    expect(rankedIds(aLead(), [product])).toEqual(['P1']);
    const lower = policyWith({ pricing: { allInCapSchedule: [{ from: '2025-01-01', caps: capsOf(15) }] } });
    expect(exclusionOf(aLead(), product, lower)).toEqual(['all_in_cost_above_cap']);
  });

  it('a higher channel maximum in the policy lets a larger amount through', () => {
    const lead = aLead({ amount: 80_000, channelGrade: 'risk' });
    expect(rankedIds(lead, [aProduct({ productId: 'P1' })])).toEqual([]);
    expect(
      rankedIds(lead, [aProduct({ productId: 'P1' })], policyWith({ maxAmountByGrade: { risk: 100_000 } })),
    ).toEqual(['P1']);
  });
});

describe('the partner list, the all-in cost and the cap by lender type and date', () => {
  const upfrontGuarantee = { name: '担保费', payee: 'guarantor' as const, basis: 'upfront_pct_of_principal' as const };

  it('a nominal rate under the cap whose fees push the all-in cost over it is excluded, with the cost and the cap', () => {
    // 18 % nominal with a 3 % upfront guarantee fee: 23.91 % over 12 months, far more over 6.
    const product = aProduct({ productId: 'P1', fees: [{ ...upfrontGuarantee, value: 3 }] });
    const twelve = matchProducts(aLead({ amount: 10_000, termMonths: 12 }), [product], policy);
    expect(twelve.matches[0]?.allInAprPct).toBe(23.91);
    const six = matchProducts(aLead({ amount: 10_000, termMonths: 6 }), [product], policy);
    expect(six.matches).toEqual([]);
    expect(six.excluded).toEqual([
      { productId: 'P1', reasons: ['all_in_cost_above_cap'], allInAprPct: expect.any(Number), capPct: 24 },
    ]);
    expect(six.excluded[0]!.allInAprPct).toBeGreaterThan(24);
  });

  it('a monthly guarantee fee counts too: 18 % nominal plus 0.5 % of the principal a month is above 24 %', () => {
    const fees = [
      { name: '担保费', payee: 'guarantor' as const, basis: 'monthly_pct_of_principal' as const, value: 0.5 },
    ];
    expect(exclusionOf(aLead(), aProduct({ fees }))).toEqual(['all_in_cost_above_cap']);
  });

  it('the cap follows the dated schedule by lender type, on Beijing days', () => {
    const schedule = policyWith({
      pricing: {
        allInCapSchedule: [
          { from: '2025-10-01', caps: capsOf(24) },
          { from: '2027-01-01', caps: { ...capsOf(24), microlender: 20 } },
        ],
      },
    });
    const micro = aProduct({ productId: 'P-MICRO', lenderType: 'microlender', nominalAprPct: 22 });
    const bank = aProduct({ productId: 'P-BANK', lenderType: 'bank', nominalAprPct: 22 });
    // 23:30 on 31 December in Beijing: the old cap still applies.
    expect(rankedIds(aLead({ at: '2026-12-31T15:30:00Z' }), [micro, bank], schedule)).toEqual(['P-BANK', 'P-MICRO']);
    // 00:30 on 1 January in Beijing (still 31 December in UTC): the microlender cap is 20 %.
    const after = matchProducts(aLead({ at: '2026-12-31T16:30:00Z' }), [micro, bank], schedule);
    expect(after.matches.map((m) => [m.productId, m.capPct])).toEqual([['P-BANK', 24]]);
    expect(after.excluded).toEqual([
      { productId: 'P-MICRO', reasons: ['all_in_cost_above_cap'], allInAprPct: 22, capPct: 20 },
    ]);
  });

  it('a listing counts on its first and last day, in Beijing time', () => {
    const listing = { listed: true, since: '2026-12-07', until: '2026-12-07' };
    const product = aProduct({ productId: 'P1', partnerListing: listing });
    expect(rankedIds(aLead({ at: '2026-12-06T16:00:00Z' }), [product])).toEqual(['P1']);
    expect(rankedIds(aLead({ at: '2026-12-07T15:59:59Z' }), [product])).toEqual(['P1']);
    expect(exclusionOf(aLead({ at: '2026-12-07T16:00:00Z' }), product)).toEqual(['not_on_partner_list']);
    expect(exclusionOf(aLead({ at: '2026-12-06T15:59:59Z' }), product)).toEqual(['not_on_partner_list']);
  });

  it('tier A ranks by the all-in cost for the case, not by the nominal rate', () => {
    const lowNominalDearFees = aProduct({
      productId: 'P-FEES',
      nominalAprPct: 10,
      fees: [{ ...upfrontGuarantee, value: 5 }],
    });
    const plain = aProduct({ productId: 'P-PLAIN', nominalAprPct: 15 });
    expect(rankedIds(aLead(), [lowNominalDearFees, plain])).toEqual(['P-PLAIN', 'P-FEES']);
  });
});

describe('ranking', () => {
  const cheapSlow = aProduct({ productId: 'P-CHEAP-SLOW', nominalAprPct: 12, disbursementDays: 7 });
  const cheapFast = aProduct({ productId: 'P-CHEAP-FAST', nominalAprPct: 12, disbursementDays: 1 });
  const dear = aProduct({ productId: 'P-DEAR', nominalAprPct: 20, disbursementDays: 0 });
  const securedDear = aProduct({ productId: 'P-SECURED', nominalAprPct: 22, secured: true, eligibleTiers: ['B'] });

  it('tier A prefers the lower APR, then the faster disbursement', () => {
    expect(rankedIds(aLead(), [dear, cheapSlow, cheapFast])).toEqual(['P-CHEAP-FAST', 'P-CHEAP-SLOW', 'P-DEAR']);
  });

  it('tier B prefers secured products first, then the lower APR', () => {
    expect(rankedIds(aLead({ tier: 'B' }), [dear, cheapSlow, securedDear])).toEqual([
      'P-SECURED',
      'P-CHEAP-SLOW',
      'P-DEAR',
    ]);
    const match = matchProducts(aLead({ tier: 'B' }), [securedDear], policy).matches[0];
    expect(match?.reasons).toContain('secured_preferred_for_tier_b');
  });

  it('ties are broken by product id, whatever order the products come in', () => {
    const twinB = aProduct({ productId: 'P-B' });
    const twinA = aProduct({ productId: 'P-A' });
    expect(rankedIds(aLead(), [twinB, twinA])).toEqual(['P-A', 'P-B']);
    expect(rankedIds(aLead(), [twinA, twinB])).toEqual(['P-A', 'P-B']);
  });

  it("raising a product's commission never changes the ranking", () => {
    const products = [dear, cheapSlow, cheapFast, securedDear];
    for (const tier of ['A', 'B'] as const) {
      const before = matchProducts(aLead({ tier }), products, policy);
      const bribed = products.map((p) =>
        p.productId === 'P-DEAR' ? { ...p, commissionPct: 50 } : { ...p, commissionPct: 0 },
      );
      expect(matchProducts(aLead({ tier }), bribed, policy)).toEqual(before);
    }
  });

  it('ranks are consecutive from 1 and the score falls with the rank', () => {
    const { matches } = matchProducts(aLead(), [dear, cheapSlow, cheapFast], policy);
    expect(matches.map((m) => m.rank)).toEqual([1, 2, 3]);
    expect(matches.map((m) => m.score)).toEqual([100, 66.67, 33.33]);
  });

  it('excluded products are listed alongside, in product id order', () => {
    const result = matchProducts(
      aLead(),
      [aProduct({ productId: 'Z', active: false }), cheapFast, aProduct({ productId: 'M', lenderLicensed: false })],
      policy,
    );
    expect(result.matches.map((m) => m.productId)).toEqual(['P-CHEAP-FAST']);
    expect(result.excluded.map((e) => e.productId)).toEqual(['M', 'Z']);
  });
});
