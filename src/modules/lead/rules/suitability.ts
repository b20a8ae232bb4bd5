/**
 * Suitability (适当性) and local operation (属地经营).
 * Minors are refused; students and the elderly are vulnerable (资信脆弱人群): no outbound marketing,
 * never auto-passed. A case is local when every known region agrees with the stated residence.
 */
import type { Policy } from '../../../platform/config/policy';
import type { Occupation } from '../../../platform/domain/types';
import { isProvinceCode } from './id-number';

export interface SuitabilityInput {
  age: number;
  occupation: Occupation;
  /** Region codes (6 digits; only the first 2, the province, are compared). */
  idRegionCode: string;
  residenceRegionCode: string;
  /** Where the mobile number is registered; null/absent when the lookup found nothing. */
  phoneRegionCode?: string | null | undefined;
  /** Where the request came from; null/absent when unknown (e.g. a proxy or an offline lead). */
  ipRegionCode?: string | null | undefined;
}

export type VulnerableReason = 'student_young' | 'elderly';

/**
 * A region that disagrees with the residence province. 'residence_unknown' is recorded when the
 * residence itself cannot be read: then nothing can be confirmed local, so the case is treated as non-local.
 */
export type RegionMismatch = 'id_vs_residence' | 'phone_vs_residence' | 'ip_vs_residence' | 'residence_unknown';

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
}

export function assessSuitability(input: SuitabilityInput, policy: Policy): Suitability {
  const vulnerableReasons: VulnerableReason[] = [];
  if (input.occupation === 'student' && input.age < policy.age.studentVulnerableUnder)
    vulnerableReasons.push('student_young');
  // Age alone decides "elderly": a retired person under the threshold is not vulnerable for that reason.
  if (input.age >= policy.age.elderlyFrom) vulnerableReasons.push('elderly');

  const locality = {
    id: provinceOf(input.idRegionCode),
    residence: provinceOf(input.residenceRegionCode),
    phone: provinceOf(input.phoneRegionCode),
    ip: provinceOf(input.ipRegionCode),
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

  return {
    refusal: input.age < policy.age.minimum ? 'minor' : null,
    vulnerable: vulnerableReasons.length > 0,
    vulnerableReasons,
    local: mismatches.length === 0,
    locality,
    mismatches,
  };
}

/** The province of a region code, or 'unknown' when absent or not a real province. */
export function provinceOf(regionCode: string | null | undefined): string | 'unknown' {
  const province = regionCode?.trim().slice(0, 2) ?? '';
  return isProvinceCode(province) ? province : 'unknown';
}
