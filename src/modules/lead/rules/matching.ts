/**
 * Product matching (产品匹配): which licensed lenders' products a pre-screened case may be offered,
 * and in what order. Ranking follows the customer's fit and risk only. Commission is carried on the
 * product facts but deliberately never read here (conflict of interest).
 */
import type { Policy } from '../../../platform/config/policy';
import type { ChannelGrade, RiskTier } from '../../../platform/domain/types';

export interface ProductFacts {
  productId: string;
  lenderId: string;
  lenderLicensed: boolean;
  lenderActive: boolean;
  active: boolean;
  aprMinPct: number;
  /** All fees included (综合年化). */
  aprMaxPct: number;
  amountMin: number;
  amountMax: number;
  termMinMonths: number;
  termMaxMonths: number;
  secured: boolean;
  disbursementDays: number;
  eligibleTiers: RiskTier[];
  /** 2-digit province codes served, or 'nationwide'. */
  provinces: string[] | 'nationwide';
  allowsNonLocal: boolean;
  ageMin: number;
  ageMax: number;
  /** The firm's commission. Never used for ranking; here so tests can prove it changes nothing. */
  commissionPct: number;
}

export interface LeadForMatching {
  amount: number;
  termMonths: number;
  tier: RiskTier;
  age: number;
  /** 2-digit province of residence. */
  provinceCode: string;
  local: boolean;
  channelGrade: ChannelGrade;
}

export type ExclusionReason =
  | 'tier_c_not_matched'
  | 'lender_unlicensed'
  | 'lender_inactive'
  | 'product_inactive'
  | 'apr_above_cap'
  | 'amount_out_of_range'
  | 'amount_above_channel_grade_max'
  | 'term_out_of_range'
  | 'tier_not_eligible'
  | 'region_not_served'
  | 'non_local_not_allowed'
  | 'age_out_of_range';

export type MatchReason =
  | 'lender_licensed_and_active'
  | 'apr_within_cap'
  | 'amount_in_range'
  | 'term_in_range'
  | 'tier_eligible'
  | 'region_served'
  | 'non_local_allowed'
  | 'age_in_range'
  | 'lower_apr_preferred_for_tier_a'
  | 'secured_preferred_for_tier_b'
  | 'lower_apr_preferred_for_tier_b';

export interface ProductMatch {
  productId: string;
  lenderId: string;
  /** 1 = best. */
  rank: number;
  /**
   * Relative fit within this result: 100 for rank 1, falling evenly with rank. Derived from the
   * rank so the two never disagree; not comparable across leads.
   */
  score: number;
  reasons: MatchReason[];
}

export interface ProductExclusion {
  productId: string;
  /** Every reason that applies, not only the first, so the explanation is complete. */
  reasons: ExclusionReason[];
}

export interface MatchResult {
  matches: ProductMatch[];
  excluded: ProductExclusion[];
}

export function matchProducts(lead: LeadForMatching, products: ProductFacts[], policy: Policy): MatchResult {
  const eligible: ProductFacts[] = [];
  const excluded: ProductExclusion[] = [];
  for (const product of products) {
    const reasons = exclusionReasons(lead, product, policy);
    if (reasons.length > 0) excluded.push({ productId: product.productId, reasons });
    else eligible.push(product);
  }

  const ranked = [...eligible].sort(lead.tier === 'A' ? compareForTierA : compareForTierB);
  const matches = ranked.map((product, index) => ({
    productId: product.productId,
    lenderId: product.lenderId,
    rank: index + 1,
    score: Math.round(((ranked.length - index) / ranked.length) * 10_000) / 100,
    reasons: fitReasons(lead, product),
  }));
  excluded.sort((a, b) => compareIds(a.productId, b.productId));
  return { matches, excluded };
}

type ExclusionRule = readonly [
  ExclusionReason,
  (lead: LeadForMatching, product: ProductFacts, policy: Policy) => boolean,
];

/** Each reason and when it applies, in the order the reasons are listed. */
const EXCLUSION_RULES: readonly ExclusionRule[] = [
  // A declined case is never offered anything, whatever the product says about tier C.
  ['tier_c_not_matched', (lead) => lead.tier === 'C'],
  ['lender_unlicensed', (_, product) => !product.lenderLicensed],
  ['lender_inactive', (_, product) => !product.lenderActive],
  ['product_inactive', (_, product) => !product.active],
  // The customer may be priced anywhere in the range, so the top of it must respect the cap.
  ['apr_above_cap', (_, product, policy) => product.aprMaxPct > policy.pricing.aprCapPct],
  ['amount_out_of_range', (lead, product) => lead.amount < product.amountMin || lead.amount > product.amountMax],
  ['amount_above_channel_grade_max', (lead, _, policy) => lead.amount > policy.maxAmountByGrade[lead.channelGrade]],
  [
    'term_out_of_range',
    (lead, product) => lead.termMonths < product.termMinMonths || lead.termMonths > product.termMaxMonths,
  ],
  ['tier_not_eligible', (lead, product) => !product.eligibleTiers.includes(lead.tier)],
  ['region_not_served', (lead, product) => !servesProvince(product, lead.provinceCode)],
  ['non_local_not_allowed', (lead, product) => !lead.local && !product.allowsNonLocal],
  ['age_out_of_range', (lead, product) => lead.age < product.ageMin || lead.age > product.ageMax],
];

function exclusionReasons(lead: LeadForMatching, product: ProductFacts, policy: Policy): ExclusionReason[] {
  return EXCLUSION_RULES.filter(([, applies]) => applies(lead, product, policy)).map(([reason]) => reason);
}

function fitReasons(lead: LeadForMatching, product: ProductFacts): MatchReason[] {
  const reasons: MatchReason[] = [
    'lender_licensed_and_active',
    'apr_within_cap',
    'amount_in_range',
    'term_in_range',
    'tier_eligible',
    'region_served',
  ];
  if (!lead.local) reasons.push('non_local_allowed');
  reasons.push('age_in_range');
  if (lead.tier === 'A') reasons.push('lower_apr_preferred_for_tier_a');
  else reasons.push(product.secured ? 'secured_preferred_for_tier_b' : 'lower_apr_preferred_for_tier_b');
  return reasons;
}

function servesProvince(product: ProductFacts, provinceCode: string): boolean {
  return product.provinces === 'nationwide' || product.provinces.includes(provinceCode);
}

// Tier A: the cheapest worst-case price first, then the fastest money.
function compareForTierA(a: ProductFacts, b: ProductFacts): number {
  return a.aprMaxPct - b.aprMaxPct || a.disbursementDays - b.disbursementDays || compareIds(a.productId, b.productId);
}

// Tier B: a riskier case is safer for both sides on a secured product; among equals, the cheaper one.
function compareForTierB(a: ProductFacts, b: ProductFacts): number {
  return Number(b.secured) - Number(a.secured) || a.aprMaxPct - b.aprMaxPct || compareIds(a.productId, b.productId);
}

// Plain code-unit order, not localeCompare, so the order is the same on every machine.
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
