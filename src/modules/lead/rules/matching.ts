/**
 * Product matching (产品匹配): which licensed lenders' products a pre-screened case may be offered,
 * and in what order. Only lenders whose published partner list names us (金规〔2025〕9号), and only
 * products whose all-in cost for this case's amount and term (./cost.ts: the IRR of the borrower's
 * cash flows, every fee included) is within the cap for the lender's type on the matching day.
 * Ranking follows the customer's fit, risk and cost only. Commission is carried on the product
 * facts but deliberately never read here (conflict of interest).
 */
import type { Policy } from '../../../platform/config/policy';
import { DomainError } from '../../../platform/domain/errors';
import type { ChannelGrade, LenderType, RiskTier } from '../../../platform/domain/types';
import { costDisclosure, type CostDisclosure, type Pricing } from './cost';

/** Our firm on the lender's published partner list (名单, 金规〔2025〕9号); dates are Beijing days, both inclusive. */
export interface PartnerListing {
  listed: boolean;
  since: string | null;
  until: string | null;
}

export interface ProductFacts {
  productId: string;
  lenderId: string;
  lenderLicensed: boolean;
  lenderActive: boolean;
  lenderType: LenderType;
  partnerListing: PartnerListing;
  active: boolean;
  /** How it is really priced: the all-in cost for the case is computed from these. */
  repayment: Pricing['repayment'];
  nominalAprPct: number;
  fees: Pricing['fees'];
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
  /** When matching runs (ISO instant): the partner listing and the cap schedule are read as of then. */
  at: string;
}

export type ExclusionReason =
  | 'tier_c_not_matched'
  | 'lender_unlicensed'
  | 'lender_inactive'
  | 'not_on_partner_list'
  | 'product_inactive'
  | 'all_in_cost_undefined'
  | 'all_in_cost_above_cap'
  | 'amount_out_of_range'
  | 'amount_above_channel_grade_max'
  | 'term_out_of_range'
  | 'tier_not_eligible'
  | 'region_not_served'
  | 'non_local_not_allowed'
  | 'age_out_of_range';

export type MatchReason =
  | 'lender_licensed_and_active'
  | 'on_partner_list'
  | 'all_in_cost_within_cap'
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
  /** The all-in annualised cost for this case's amount and term (IRR × 12, every fee included). */
  allInAprPct: number;
  /** The cap it was checked against: by lender type, as of the matching time. */
  capPct: number;
  costDisclosure: CostDisclosure;
}

export interface ProductExclusion {
  productId: string;
  /** Every reason that applies, not only the first, so the explanation is complete. */
  reasons: ExclusionReason[];
  /** With `all_in_cost_above_cap`: the cost for this case and the cap it broke. */
  allInAprPct?: number;
  capPct?: number;
}

export interface MatchResult {
  matches: ProductMatch[];
  excluded: ProductExclusion[];
}

export function matchProducts(lead: LeadForMatching, products: ProductFacts[], policy: Policy): MatchResult {
  const eligible: Priced[] = [];
  const excluded: ProductExclusion[] = [];
  for (const product of products) {
    const priced = { product, cost: costFor(lead, product), capPct: allInCapPct(policy, product.lenderType, lead.at) };
    const reasons = exclusionReasons(lead, priced, policy);
    if (reasons.includes('all_in_cost_above_cap'))
      excluded.push({
        productId: product.productId,
        reasons,
        allInAprPct: priced.cost!.allInAprPct,
        capPct: priced.capPct,
      });
    else if (reasons.length > 0) excluded.push({ productId: product.productId, reasons });
    else eligible.push(priced);
  }

  const ranked = [...eligible].sort(lead.tier === 'A' ? compareForTierA : compareForTierB);
  const matches = ranked.map(({ product, cost, capPct }, index) => ({
    productId: product.productId,
    lenderId: product.lenderId,
    rank: index + 1,
    score: Math.round(((ranked.length - index) / ranked.length) * 10_000) / 100,
    reasons: fitReasons(lead, product),
    allInAprPct: cost!.allInAprPct,
    capPct,
    costDisclosure: cost!,
  }));
  excluded.sort((a, b) => compareIds(a.productId, b.productId));
  return { matches, excluded };
}

/** A product with its cost for this case (null when the cost is undefined) and the cap that applies to it. */
interface Priced {
  product: ProductFacts;
  cost: CostDisclosure | null;
  capPct: number;
}

function costFor(lead: LeadForMatching, product: ProductFacts): CostDisclosure | null {
  try {
    return costDisclosure(product, lead.amount, lead.termMonths);
  } catch (err) {
    if (err instanceof DomainError && err.code === 'all_in_cost_undefined') return null;
    throw err;
  }
}

/** The Beijing calendar day of an instant (China keeps UTC+8 all year). */
export const beijingDay = (at: string): string => new Date(Date.parse(at) + 8 * 3_600_000).toISOString().slice(0, 10);

/** Whether the lender lists us on the day of `at`: listed, since on or before that day, until (if any) on or after it. */
export function listsUsAt(listing: PartnerListing, at: string): boolean {
  const day = beijingDay(at);
  return (
    listing.listed &&
    (listing.since === null || listing.since <= day) &&
    (listing.until === null || day <= listing.until)
  );
}

/** The all-in cost cap for a lender type on the day of `at`: the latest schedule entry from on or before it (else the first). */
export function allInCapPct(policy: Policy, lenderType: LenderType, at: string): number {
  const day = beijingDay(at);
  const schedule = policy.pricing.allInCapSchedule;
  const entry = [...schedule].reverse().find((e) => e.from <= day) ?? schedule[0]!;
  return entry.caps[lenderType];
}

type ExclusionRule = readonly [ExclusionReason, (lead: LeadForMatching, p: Priced, policy: Policy) => boolean];

/** Each reason and when it applies, in the order the reasons are listed. */
const EXCLUSION_RULES: readonly ExclusionRule[] = [
  // A declined case is never offered anything, whatever the product says about tier C.
  ['tier_c_not_matched', (lead) => lead.tier === 'C'],
  ['lender_unlicensed', (_, { product }) => !product.lenderLicensed],
  ['lender_inactive', (_, { product }) => !product.lenderActive],
  // 金规〔2025〕9号: a lender works only with the platforms on its published list.
  ['not_on_partner_list', (lead, { product }) => !listsUsAt(product.partnerListing, lead.at)],
  ['product_inactive', (_, { product }) => !product.active],
  ['all_in_cost_undefined', (_, { cost }) => cost === null],
  // The IRR of this case's own cash flows, every fee included, whatever the nominal rate says.
  ['all_in_cost_above_cap', (_, { cost, capPct }) => cost !== null && cost.allInAprPct > capPct],
  ['amount_out_of_range', (lead, { product }) => lead.amount < product.amountMin || lead.amount > product.amountMax],
  ['amount_above_channel_grade_max', (lead, _, policy) => lead.amount > policy.maxAmountByGrade[lead.channelGrade]],
  [
    'term_out_of_range',
    (lead, { product }) => lead.termMonths < product.termMinMonths || lead.termMonths > product.termMaxMonths,
  ],
  ['tier_not_eligible', (lead, { product }) => !product.eligibleTiers.includes(lead.tier)],
  ['region_not_served', (lead, { product }) => !servesProvince(product, lead.provinceCode)],
  ['non_local_not_allowed', (lead, { product }) => !lead.local && !product.allowsNonLocal],
  ['age_out_of_range', (lead, { product }) => lead.age < product.ageMin || lead.age > product.ageMax],
];

function exclusionReasons(lead: LeadForMatching, priced: Priced, policy: Policy): ExclusionReason[] {
  return EXCLUSION_RULES.filter(([, applies]) => applies(lead, priced, policy)).map(([reason]) => reason);
}

function fitReasons(lead: LeadForMatching, product: ProductFacts): MatchReason[] {
  const reasons: MatchReason[] = [
    'lender_licensed_and_active',
    'on_partner_list',
    'all_in_cost_within_cap',
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

// Tier A: the cheapest all-in cost for this case first, then the fastest money.
function compareForTierA(a: Priced, b: Priced): number {
  return (
    a.cost!.allInAprPct - b.cost!.allInAprPct ||
    a.product.disbursementDays - b.product.disbursementDays ||
    compareIds(a.product.productId, b.product.productId)
  );
}

// Tier B: a riskier case is safer for both sides on a secured product; among equals, the cheaper one.
function compareForTierB(a: Priced, b: Priced): number {
  return (
    Number(b.product.secured) - Number(a.product.secured) ||
    a.cost!.allInAprPct - b.cost!.allInAprPct ||
    compareIds(a.product.productId, b.product.productId)
  );
}

// Plain code-unit order, not localeCompare, so the order is the same on every machine.
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
