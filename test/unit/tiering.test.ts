import { defaultPolicy } from '../../src/platform/config/policy';
import type { StressTestResult } from '../../src/modules/lead/rules/dti';
import { decideTier, type TierInput } from '../../src/modules/lead/rules/tiering';
import { policyWith } from './factories';

const policy = defaultPolicy();

const stressAt = (stressedDtiPct: number): StressTestResult => ({
  instalment: 1_000,
  stressedInstalment: 1_100,
  dtiPct: stressedDtiPct * 0.8,
  stressedDtiPct,
});

const aCleanCase = (overrides: Partial<TierInput> = {}): TierInput => ({
  stress: stressAt(30),
  fraud: { deviceLeads24h: 1, lenderApplications: 0, blacklisted: false, regionMismatches: [] },
  vulnerable: false,
  channelGrade: 'general',
  ...overrides,
});
const withFraud = (fraud: Partial<TierInput['fraud']>, rest: Partial<TierInput> = {}): TierInput => {
  const base = aCleanCase(rest);
  return { ...base, fraud: { ...base.fraud, ...fraud } };
};
const codes = (input: TierInput, p = policy): string[] => decideTier(input, p).rulesFired.map((r) => r.code);

describe('tier A: auto-pass', () => {
  it('a clean case with a low stressed DTI passes as A with only the ID card copy', () => {
    expect(decideTier(aCleanCase(), policy)).toEqual({
      tier: 'A',
      rulesFired: [],
      requiredDocuments: ['id_card_copy'],
    });
  });
});

describe('stressed DTI thresholds', () => {
  it.each([
    [40, 'A'],
    [40.01, 'B'],
    [55, 'B'],
    [55.01, 'C'],
    [Infinity, 'C'],
  ] as const)('a stressed DTI of %d %% gives tier %s', (dti, tier) => {
    expect(decideTier(aCleanCase({ stress: stressAt(dti) }), policy).tier).toBe(tier);
  });

  it('a stressed DTI above the B limit is declined and says the numbers', () => {
    const decision = decideTier(aCleanCase({ stress: stressAt(60) }), policy);
    expect(decision.rulesFired).toEqual([
      { code: 'stressed_dti_above_tier_b_max', effect: 'decline', detail: 'stressedDtiPct=60 > tierBMaxPct=55' },
    ]);
    expect(decision.requiredDocuments).toEqual([]);
  });

  it('a DTI that is not a number is declined rather than passed', () => {
    expect(decideTier(aCleanCase({ stress: stressAt(Number.NaN) }), policy).tier).toBe('C');
  });

  it('overriding the DTI limits in the policy changes the tier', () => {
    const looser = policyWith({ dti: { tierAMaxPct: 50, tierBMaxPct: 70 } });
    expect(decideTier(aCleanCase({ stress: stressAt(45) }), looser).tier).toBe('A');
    expect(decideTier(aCleanCase({ stress: stressAt(60) }), looser).tier).toBe('B');
  });
});

describe('fraud rules', () => {
  it('a blacklisted customer is declined', () => {
    const decision = decideTier(withFraud({ blacklisted: true }), policy);
    expect(decision.tier).toBe('C');
    expect(decision.rulesFired[0]).toMatchObject({ code: 'blacklisted', effect: 'decline' });
  });

  it('a device on 3 leads in 24 h is fine; on 4 it sends the case to review and says the count', () => {
    expect(decideTier(withFraud({ deviceLeads24h: 3 }), policy).tier).toBe('A');
    const decision = decideTier(withFraud({ deviceLeads24h: 4 }), policy);
    expect(decision.tier).toBe('B');
    expect(decision.rulesFired).toEqual([
      { code: 'device_reused', effect: 'review', detail: 'deviceLeads24h=4 > deviceLeadsPer24h=3' },
    ]);
  });

  it('applications to 3 lenders are fine; to 4 they send the case to review', () => {
    expect(decideTier(withFraud({ lenderApplications: 3 }), policy).tier).toBe('A');
    expect(decideTier(withFraud({ lenderApplications: 4 }), policy).tier).toBe('B');
    expect(codes(withFraud({ lenderApplications: 4 }))).toEqual(['multi_lender_applications']);
  });

  it('a stricter device limit in the policy flags fewer leads', () => {
    expect(decideTier(withFraud({ deviceLeads24h: 2 }), policyWith({ fraud: { deviceLeadsPer24h: 1 } })).tier).toBe(
      'B',
    );
  });

  it('a region mismatch sends the case to review and asks for proof of residence', () => {
    const decision = decideTier(withFraud({ regionMismatches: ['ip_vs_residence'] }), policy);
    expect(decision.tier).toBe('B');
    expect(decision.rulesFired).toEqual([
      { code: 'region_mismatch', effect: 'review', detail: 'mismatches=ip_vs_residence' },
    ]);
    expect(decision.requiredDocuments).toEqual([
      'id_card_copy',
      'income_proof',
      'bank_statement_6m',
      'residence_proof',
    ]);
  });
});

describe('vulnerable customers', () => {
  it('a vulnerable customer (e.g. a 60-year-old) cannot be auto-passed', () => {
    const decision = decideTier(aCleanCase({ vulnerable: true }), policy);
    expect(decision.tier).toBe('B');
    expect(decision.rulesFired.map((r) => r.code)).toEqual(['vulnerable_customer']);
    expect(decision.requiredDocuments).toEqual(['id_card_copy', 'income_proof', 'bank_statement_6m']);
  });

  it('a vulnerable customer with a DTI above the B limit is still declined', () => {
    expect(decideTier(aCleanCase({ vulnerable: true, stress: stressAt(70) }), policy).tier).toBe('C');
  });
});

describe('channel grade', () => {
  it('a case from a risk channel that would need review is declined', () => {
    const decision = decideTier(aCleanCase({ vulnerable: true, channelGrade: 'risk' }), policy);
    expect(decision.tier).toBe('C');
    expect(decision.rulesFired).toContainEqual({
      code: 'risk_channel_requires_tier_a',
      effect: 'decline',
      detail: 'channelGrade=risk; tier B not admitted',
    });
    expect(decision.requiredDocuments).toEqual([]);
  });

  it('a clean tier-A case from a risk channel passes, with the channel noted', () => {
    const decision = decideTier(aCleanCase({ channelGrade: 'risk' }), policy);
    expect(decision.tier).toBe('A');
    expect(decision.rulesFired).toEqual([
      { code: 'risk_channel_requires_tier_a', effect: 'info', detail: 'channelGrade=risk; tier A admitted' },
    ]);
  });

  it('a premium or general channel does not change a B', () => {
    expect(decideTier(aCleanCase({ vulnerable: true, channelGrade: 'premium' }), policy).tier).toBe('B');
    expect(decideTier(aCleanCase({ vulnerable: true, channelGrade: 'general' }), policy).tier).toBe('B');
  });
});

describe('explanation', () => {
  it('every rule that fires is listed, even when the blacklist already declined the case', () => {
    const everything = withFraud(
      {
        blacklisted: true,
        deviceLeads24h: 9,
        lenderApplications: 7,
        regionMismatches: ['id_vs_residence', 'phone_vs_residence'],
      },
      { stress: stressAt(48), vulnerable: true, channelGrade: 'risk' },
    );
    expect(codes(everything)).toEqual([
      'blacklisted',
      'stressed_dti_above_tier_a_max',
      'device_reused',
      'multi_lender_applications',
      'region_mismatch',
      'vulnerable_customer',
      'risk_channel_requires_tier_a',
    ]);
    expect(decideTier(everything, policy).tier).toBe('C');
  });

  it('details carry numbers and codes only, never personal data', () => {
    const everything = withFraud(
      { blacklisted: true, deviceLeads24h: 9, lenderApplications: 7, regionMismatches: ['id_vs_residence'] },
      { stress: stressAt(70), vulnerable: true, channelGrade: 'risk' },
    );
    for (const rule of decideTier(everything, policy).rulesFired) {
      expect(rule.detail).toMatch(/^[\w\s.,;:=>\-+]*$/);
      expect(rule.detail).not.toMatch(/\d{7,}/);
    }
  });

  it("a channel's region that disagrees with the looked-up one is its own review rule", () => {
    const decision = decideTier(
      withFraud({ regionMismatches: ['phone_channel_vs_lookup', 'ip_channel_vs_lookup'] }),
      policy,
    );
    expect(decision.tier).toBe('B');
    expect(decision.rulesFired.map((r) => [r.code, r.effect])).toEqual([
      ['phone_region_channel_mismatch', 'review'],
      ['ip_region_channel_mismatch', 'review'],
    ]);
    expect(decision.requiredDocuments).toContain('residence_proof');
  });

  it('an unknown phone segment or a foreign or private IP is stated as information and leaves tier A', () => {
    const notes = ['phone_region_unknown', 'ip_outside_mainland'];
    const decision = decideTier(withFraud({ regionMismatches: notes }), policy);
    expect(decision.tier).toBe('A');
    expect(decision.rulesFired.map((r) => [r.code, r.effect])).toEqual([
      ['phone_region_unknown', 'info'],
      ['ip_outside_mainland', 'info'],
    ]);
    const mixed = decideTier(withFraud({ regionMismatches: ['phone_vs_residence', 'ip_not_public'] }), policy);
    expect(mixed.rulesFired).toEqual([
      { code: 'region_mismatch', effect: 'review', detail: 'mismatches=phone_vs_residence' },
      { code: 'ip_not_public', effect: 'info', detail: expect.stringContaining('private') },
    ]);
  });
});
