/**
 * Suitability (适当性) and local operation (属地经营).
 * Minors are refused; students and the elderly are vulnerable (资信脆弱人群): no outbound marketing,
 * never auto-passed. A case is local when every known region agrees with the stated residence.
 *
 * The phone's and the IP's regions come from the data itself (the number segment, an IP database,
 * looked up by the intake before it calls this); a region the channel sent is used instead when it
 * sent one, and a channel region that disagrees with the looked-up one is a mismatch of its own.
 * A lookup that found nothing is stated as a note, never guessed.
 */
import type { Policy } from '../../../platform/config/policy';
import type { Occupation, RegionLookup } from '../../../platform/domain/types';
import { isProvinceCode } from './id-number';

export interface SuitabilityInput {
  age: number;
  occupation: Occupation;
  /** Region codes (6 digits; only the first 2, the province, are compared). */
  idRegionCode: string;
  residenceRegionCode: string;
  /** Where the channel says the mobile number is registered; null/absent when it sent nothing. */
  phoneRegionCode?: string | null | undefined;
  /** Where the channel says the request came from; null/absent when it sent nothing. */
  ipRegionCode?: string | null | undefined;
  /** The number segment's region, as looked up; absent when no lookup was made. */
  phoneLookup?: RegionLookup;
  /** The IP address's region, as looked up; absent when no lookup was made. */
  ipLookup?: RegionLookup;
}

export type VulnerableReason = 'student_young' | 'elderly';

/**
 * A region that disagrees with the residence province. 'residence_unknown' is recorded when the
 * residence itself cannot be read: then nothing can be confirmed local, so the case is treated as non-local.
 */
export type RegionMismatch =
  'id_vs_residence' | 'phone_vs_residence' | 'ip_vs_residence' | 'residence_unknown' | ChannelDisagreement;

/** A region the channel sent that disagrees with the one looked up from the data. */
export type ChannelDisagreement = 'phone_channel_vs_lookup' | 'ip_channel_vs_lookup';
export const CHANNEL_DISAGREEMENTS: readonly ChannelDisagreement[] = [
  'phone_channel_vs_lookup',
  'ip_channel_vs_lookup',
];

/** A lookup that found no mainland province: stated, not guessed, and not a mismatch. */
export type LocalityNote = 'phone_region_unknown' | 'ip_region_unknown' | 'ip_outside_mainland' | 'ip_not_public';
export const LOCALITY_NOTES: readonly LocalityNote[] = [
  'phone_region_unknown',
  'ip_region_unknown',
  'ip_outside_mainland',
  'ip_not_public',
];

export interface Suitability {
  refusal: null | 'minor';
  vulnerable: boolean;
  vulnerableReasons: VulnerableReason[];
  local: boolean;
  /** Province codes (2 digits) of each source; identifying detail below province is not kept here. */
  locality: {
    id: string | 'unknown';
    residence: string | 'unknown';
    phone: string | 'unknown';
    ip: string | 'unknown';
  };
  mismatches: RegionMismatch[];
  /** Lookups that found no mainland province. */
  notes: LocalityNote[];
}

export function assessSuitability(input: SuitabilityInput, policy: Policy): Suitability {
  const vulnerableReasons: VulnerableReason[] = [];
  if (input.occupation === 'student' && input.age < policy.age.studentVulnerableUnder)
    vulnerableReasons.push('student_young');
  // Age alone decides "elderly": a retired person under the threshold is not vulnerable for that reason.
  if (input.age >= policy.age.elderlyFrom) vulnerableReasons.push('elderly');

  const phone = regionFrom('phone', input.phoneRegionCode, input.phoneLookup);
  const ip = regionFrom('ip', input.ipRegionCode, input.ipLookup);
  const locality = {
    id: provinceOf(input.idRegionCode),
    residence: provinceOf(input.residenceRegionCode),
    phone: phone.province,
    ip: ip.province,
  };

  const mismatches: RegionMismatch[] = [];
  if (locality.residence === 'unknown') {
    mismatches.push('residence_unknown');
  } else {
    const differs = (province: string): boolean => province !== 'unknown' && province !== locality.residence;
    if (differs(locality.id)) mismatches.push('id_vs_residence');
    if (differs(locality.phone)) mismatches.push('phone_vs_residence');
    if (differs(locality.ip)) mismatches.push('ip_vs_residence');
  }
  for (const source of [phone, ip]) if (source.disagreement) mismatches.push(source.disagreement);

  return {
    refusal: input.age < policy.age.minimum ? 'minor' : null,
    vulnerable: vulnerableReasons.length > 0,
    vulnerableReasons,
    local: mismatches.length === 0,
    locality,
    mismatches,
    notes: [phone.note, ip.note].filter((note): note is LocalityNote => note !== null),
  };
}

interface SourceRegion {
  province: string | 'unknown';
  disagreement: ChannelDisagreement | null;
  note: LocalityNote | null;
}

/**
 * One source's province: the channel's when it sent one, else the looked-up one. The channel's
 * disagrees when the lookup found another province, or found the address outside the mainland.
 */
function regionFrom(
  source: 'phone' | 'ip',
  channelCode: string | null | undefined,
  lookup?: RegionLookup,
): SourceRegion {
  const channel = provinceOf(channelCode);
  const looked = lookup?.status === 'found' ? provinceOf(lookup.regionCode) : 'unknown';
  const elsewhere = looked !== 'unknown' ? looked !== channel : lookup?.status === 'outside_mainland';
  return {
    province: channel !== 'unknown' ? channel : looked,
    disagreement: channel !== 'unknown' && elsewhere ? `${source}_channel_vs_lookup` : null,
    note: noteFor(source, lookup, looked),
  };
}

function noteFor(source: 'phone' | 'ip', lookup: RegionLookup | undefined, looked: string): LocalityNote | null {
  if (!lookup || lookup.status === 'not_given') return null;
  if (lookup.status === 'outside_mainland' || lookup.status === 'not_public')
    return source === 'ip' ? `ip_${lookup.status}` : null;
  return looked === 'unknown' ? `${source}_region_unknown` : null;
}

/** The province of a region code, or 'unknown' when absent or not a real province. */
export function provinceOf(regionCode: string | null | undefined): string | 'unknown' {
  const province = regionCode?.trim().slice(0, 2) ?? '';
  return isProvinceCode(province) ? province : 'unknown';
}
