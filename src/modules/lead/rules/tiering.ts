/**
 * Pre-screen tier (贷前初审): A auto-pass, B manual review by a risk officer, C declined.
 * Every rule is evaluated and every rule that fires is listed, even when an earlier one already
 * decided the tier, so that the outcome can be explained in full (PIPL art. 24).
 */
import type { Policy } from '../../../platform/config/policy';
import type { ChannelGrade, RiskTier } from '../../../platform/domain/types';
import type { StressTestResult } from './dti';
import { CHANNEL_DISAGREEMENTS, LOCALITY_NOTES } from './suitability';

export interface FraudSignals {
  /** Leads seen from this device fingerprint in the last 24 h, this lead included. */
  deviceLeads24h: number;
  /** Lenders applied to recently (多头借贷). */
  lenderApplications: number;
  blacklisted: boolean;
  /**
   * The suitability check's region codes: its mismatches (none when the case is local), then its
   * notes on lookups that found no mainland province (LOCALITY_NOTES).
   */
  regionMismatches: string[];
}

export interface TierInput {
  stress: StressTestResult;
  fraud: FraudSignals;
  vulnerable: boolean;
  channelGrade: ChannelGrade;
}

export type RuleEffect = 'decline' | 'review' | 'info';

export interface FiredRule {
  /** Stable code, e.g. 'stressed_dti_above_tier_a_max'. */
  code: string;
  effect: RuleEffect;
  /** Numbers and codes only: never a name, ID or phone number. */
  detail: string;
}

export interface TierDecision {
  tier: RiskTier;
  rulesFired: FiredRule[];
  requiredDocuments: string[];
}

export const TIER_A_DOCUMENTS = ['id_card_copy'] as const;
export const TIER_B_DOCUMENTS = ['id_card_copy', 'income_proof', 'bank_statement_6m'] as const;
export const RESIDENCE_PROOF = 'residence_proof';

const TIER_ORDER: Record<RiskTier, number> = { A: 0, B: 1, C: 2 };
const worseOf = (a: RiskTier, b: RiskTier): RiskTier => (TIER_ORDER[a] >= TIER_ORDER[b] ? a : b);
const tierFor = (effect: RuleEffect): RiskTier => (effect === 'decline' ? 'C' : effect === 'review' ? 'B' : 'A');

export function decideTier(input: TierInput, policy: Policy): TierDecision {
  const { stress, fraud } = input;
  const { dti } = policy;
  const rulesFired: FiredRule[] = [];
  const fire = (code: string, effect: RuleEffect, detail: string): void => {
    rulesFired.push({ code, effect, detail });
  };

  if (fraud.blacklisted) fire('blacklisted', 'decline', 'blacklist hit');

  // Written as "not within" so that a NaN from bad input declines instead of passing.
  const stressed = stress.stressedDtiPct;
  if (!(stressed <= dti.tierBMaxPct)) {
    fire('stressed_dti_above_tier_b_max', 'decline', `stressedDtiPct=${stressed} > tierBMaxPct=${dti.tierBMaxPct}`);
  } else if (stressed > dti.tierAMaxPct) {
    fire('stressed_dti_above_tier_a_max', 'review', `stressedDtiPct=${stressed} > tierAMaxPct=${dti.tierAMaxPct}`);
  }

  if (fraud.deviceLeads24h > policy.fraud.deviceLeadsPer24h) {
    fire(
      'device_reused',
      'review',
      `deviceLeads24h=${fraud.deviceLeads24h} > deviceLeadsPer24h=${policy.fraud.deviceLeadsPer24h}`,
    );
  }
  if (fraud.lenderApplications > policy.fraud.multiLenderApplications) {
    fire(
      'multi_lender_applications',
      'review',
      `lenderApplications=${fraud.lenderApplications} > multiLenderApplications=${policy.fraud.multiLenderApplications}`,
    );
  }
  const regionMismatchFired = fireRegionRules(fire, fraud.regionMismatches);

  if (input.vulnerable) fire('vulnerable_customer', 'review', 'vulnerable customer: never auto-passed');

  let tier = rulesFired.reduce<RiskTier>((worst, rule) => worseOf(worst, tierFor(rule.effect)), 'A');

  // Decision left open by the brief: a risk-graded channel admits only tier A. Its leads already
  // carry more fraud and bad-loan risk, so a case that would need review is declined instead.
  // For an A the rule is recorded as 'info' so the explanation shows the channel was considered.
  if (input.channelGrade === 'risk') {
    if (tier === 'A') {
      fire('risk_channel_requires_tier_a', 'info', 'channelGrade=risk; tier A admitted');
    } else {
      fire('risk_channel_requires_tier_a', 'decline', `channelGrade=risk; tier ${tier} not admitted`);
      tier = 'C';
    }
  }

  return { tier, rulesFired, requiredDocuments: documentsFor(tier, regionMismatchFired) };
}

const CHANNEL_RULES: Record<string, { code: string; detail: string }> = {
  phone_channel_vs_lookup: {
    code: 'phone_region_channel_mismatch',
    detail: "the channel's phone region is not the number segment's",
  },
  ip_channel_vs_lookup: {
    code: 'ip_region_channel_mismatch',
    detail: "the channel's IP region is not the IP database's",
  },
};
const NOTE_DETAILS: Record<string, string> = {
  phone_region_unknown: 'the number segment is not in the numbering data: phone region unknown',
  ip_region_unknown: 'the IP database names no mainland province for the address: IP region unknown',
  ip_outside_mainland: 'the IP database places the address outside the mainland',
  ip_not_public: 'a private, loopback or reserved address: it tells no region',
};

/**
 * 属地经营: a region that disagrees with the residence (review, with residence proof), a channel's
 * region that disagrees with the looked-up one (review), a lookup that found nothing (info).
 * Returns whether a mismatch fired.
 */
function fireRegionRules(fire: (code: string, effect: RuleEffect, detail: string) => void, codes: string[]): boolean {
  const notes = codes.filter((c) => (LOCALITY_NOTES as readonly string[]).includes(c));
  const disagreements = codes.filter((c) => (CHANNEL_DISAGREEMENTS as readonly string[]).includes(c));
  const residence = codes.filter((c) => !notes.includes(c) && !disagreements.includes(c));
  if (residence.length > 0) fire('region_mismatch', 'review', `mismatches=${residence.join(',')}`);
  for (const c of disagreements) fire(CHANNEL_RULES[c].code, 'review', CHANNEL_RULES[c].detail);
  for (const c of notes) fire(c, 'info', NOTE_DETAILS[c]);
  return residence.length + disagreements.length > 0;
}

function documentsFor(tier: RiskTier, regionMismatchFired: boolean): string[] {
  if (tier === 'A') return [...TIER_A_DOCUMENTS];
  if (tier === 'B') return regionMismatchFired ? [...TIER_B_DOCUMENTS, RESIDENCE_PROOF] : [...TIER_B_DOCUMENTS];
  return [];
}
