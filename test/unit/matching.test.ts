import { defaultPolicy } from '../../src/platform/config/policy';
import { matchProducts, type LeadForMatching, type ProductFacts } from '../../src/modules/lead/rules/matching';
import { aProduct, policyWith } from './factories';

const policy = defaultPolicy();
const aLead = (overrides: Partial<LeadForMatching> = {}): LeadForMatching => ({
  amount: 50_000,
  termMonths: 12,
  tier: 'A',
  age: 35,
  provinceCode: '11',
  local: true,
  channelGrade: 'general',
  ...overrides,
});
const rankedIds = (lead: LeadForMatching, products: ProductFacts[], p = policy): string[] =>
  matchProducts(lead, products, p).matches.map((m) => m.productId);
const exclusionOf = (lead: LeadForMatching, product: ProductFacts, p = policy): string[] =>
  matchProducts(lead, [product], p).excluded[0]?.reasons ?? [];

describe('which products a case may be offered', () => {
  it('a product that fits on every count is matched, with the reasons why', () => {
    const result = matchProducts(aLead(), [aProduct({ productId: 'P1', lenderId: 'L1' })], policy);
    expect(result.excluded).toEqual([]);
    expect(result.matches).toEqual([
      {
        productId: 'P1',
        lenderId: 'L1',
        rank: 1,
        score: 100,
        reasons: [
          'lender_licensed_and_active',
          'apr_within_cap',
          'amount_in_range',
          'term_in_range',
          'tier_eligible',
          'region_served',
          'age_in_range',
          'lower_apr_preferred_for_tier_a',
        ],
      },
    ]);
  });

  it.each<[string, Partial<ProductFacts>, string]>([
    ['an unlicensed lender', { lenderLicensed: false }, 'lender_unlicensed'],
    ['an inactive lender', { lenderActive: false }, 'lender_inactive'],
    ['an inactive product', { active: false }, 'product_inactive'],
    ['an APR above the 24 % cap', { aprMaxPct: 24.01 }, 'apr_above_cap'],
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

  it('an APR exactly at the cap is allowed', () => {
    expect(rankedIds(aLead(), [aProduct({ productId: 'P1', aprMaxPct: 24 })])).toEqual(['P1']);
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
    expect(exclusionOf(aLead(), aProduct({ lenderLicensed: false, aprMaxPct: 36, ageMax: 30 }))).toEqual([
      'lender_unlicensed',
      'apr_above_cap',
      'age_out_of_range',
    ]);
  });

  it('a lower APR cap in the policy excludes a product that was fine', () => {
    const product = aProduct({ productId: 'P1', aprMaxPct: 18 });
    expect(rankedIds(aLead(), [product])).toEqual(['P1']);
    expect(exclusionOf(aLead(), product, policyWith({ pricing: { aprCapPct: 15 } }))).toEqual(['apr_above_cap']);
  });

  it('a higher channel maximum in the policy lets a larger amount through', () => {
    const lead = aLead({ amount: 80_000, channelGrade: 'risk' });
    expect(rankedIds(lead, [aProduct({ productId: 'P1' })])).toEqual([]);
    expect(
      rankedIds(lead, [aProduct({ productId: 'P1' })], policyWith({ maxAmountByGrade: { risk: 100_000 } })),
    ).toEqual(['P1']);
  });
});

describe('ranking', () => {
  const cheapSlow = aProduct({ productId: 'P-CHEAP-SLOW', aprMaxPct: 12, disbursementDays: 7 });
  const cheapFast = aProduct({ productId: 'P-CHEAP-FAST', aprMaxPct: 12, disbursementDays: 1 });
  const dear = aProduct({ productId: 'P-DEAR', aprMaxPct: 20, disbursementDays: 0 });
  const securedDear = aProduct({ productId: 'P-SECURED', aprMaxPct: 22, secured: true, eligibleTiers: ['B'] });

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
