import { defaultPolicy } from '../../src/platform/config/policy';
import { assessSuitability, type SuitabilityInput } from '../../src/modules/lead/rules/suitability';
import { policyWith } from './factories';

const policy = defaultPolicy();
const aLocalAdult = (overrides: Partial<SuitabilityInput> = {}): SuitabilityInput => ({
  age: 35,
  occupation: 'salaried',
  idRegionCode: '110105',
  residenceRegionCode: '110108',
  phoneRegionCode: '110000',
  ipRegionCode: '110101',
  ...overrides,
});

describe('minors', () => {
  it('a 17-year-old is refused as a minor', () => {
    expect(assessSuitability(aLocalAdult({ age: 17 }), policy).refusal).toBe('minor');
  });

  it('an 18-year-old is not refused', () => {
    expect(assessSuitability(aLocalAdult({ age: 18 }), policy).refusal).toBeNull();
  });

  it('raising the minimum age in the policy refuses an 18-year-old', () => {
    expect(assessSuitability(aLocalAdult({ age: 18 }), policyWith({ age: { minimum: 20 } })).refusal).toBe('minor');
  });
});

describe('vulnerable customers (资信脆弱人群)', () => {
  it('a 21-year-old student is vulnerable', () => {
    const result = assessSuitability(aLocalAdult({ age: 21, occupation: 'student' }), policy);
    expect(result.vulnerable).toBe(true);
    expect(result.vulnerableReasons).toEqual(['student_young']);
  });

  it('a 22-year-old student is not vulnerable', () => {
    const result = assessSuitability(aLocalAdult({ age: 22, occupation: 'student' }), policy);
    expect(result.vulnerable).toBe(false);
    expect(result.vulnerableReasons).toEqual([]);
  });

  it('a 21-year-old who is not a student is not vulnerable', () => {
    expect(assessSuitability(aLocalAdult({ age: 21, occupation: 'salaried' }), policy).vulnerable).toBe(false);
  });

  it('a 60-year-old is vulnerable as elderly', () => {
    const result = assessSuitability(aLocalAdult({ age: 60 }), policy);
    expect(result.vulnerable).toBe(true);
    expect(result.vulnerableReasons).toEqual(['elderly']);
  });

  it('a 59-year-old is not vulnerable', () => {
    expect(assessSuitability(aLocalAdult({ age: 59 }), policy).vulnerable).toBe(false);
  });

  it('a retired person under 60 is not vulnerable for being retired', () => {
    expect(assessSuitability(aLocalAdult({ age: 55, occupation: 'retired' }), policy).vulnerable).toBe(false);
  });

  it('a 17-year-old student is both refused and vulnerable', () => {
    const result = assessSuitability(aLocalAdult({ age: 17, occupation: 'student' }), policy);
    expect(result.refusal).toBe('minor');
    expect(result.vulnerableReasons).toEqual(['student_young']);
  });

  it('the policy thresholds decide: with elderlyFrom 65 a 60-year-old is not vulnerable, with studentVulnerableUnder 25 a 24-year-old student is', () => {
    const overridden = policyWith({ age: { elderlyFrom: 65, studentVulnerableUnder: 25 } });
    expect(assessSuitability(aLocalAdult({ age: 60 }), overridden).vulnerable).toBe(false);
    expect(assessSuitability(aLocalAdult({ age: 64 }), overridden).vulnerable).toBe(false);
    expect(assessSuitability(aLocalAdult({ age: 65 }), overridden).vulnerableReasons).toEqual(['elderly']);
    expect(assessSuitability(aLocalAdult({ age: 24, occupation: 'student' }), overridden).vulnerableReasons).toEqual([
      'student_young',
    ]);
  });
});

describe('local operation (属地经营)', () => {
  it('a case whose ID, phone and IP are in the residence province is local', () => {
    const result = assessSuitability(aLocalAdult(), policy);
    expect(result.local).toBe(true);
    expect(result.mismatches).toEqual([]);
    expect(result.locality).toEqual({ id: '11', residence: '11', phone: '11', ip: '11' });
  });

  it('different cities in the same province are still local', () => {
    const result = assessSuitability(
      aLocalAdult({
        idRegionCode: '440301',
        residenceRegionCode: '440103',
        phoneRegionCode: '440600',
        ipRegionCode: '441900',
      }),
      policy,
    );
    expect(result.local).toBe(true);
  });

  it('an ID from another province makes the case non-local', () => {
    const result = assessSuitability(aLocalAdult({ idRegionCode: '310104' }), policy);
    expect(result.local).toBe(false);
    expect(result.mismatches).toEqual(['id_vs_residence']);
  });

  it('a phone and an IP from other provinces are each recorded', () => {
    const result = assessSuitability(aLocalAdult({ phoneRegionCode: '440300', ipRegionCode: '320100' }), policy);
    expect(result.mismatches).toEqual(['phone_vs_residence', 'ip_vs_residence']);
    expect(result.locality).toEqual({ id: '11', residence: '11', phone: '44', ip: '32' });
  });

  it('an unknown phone or IP region is recorded as unknown and is not a mismatch', () => {
    const result = assessSuitability(aLocalAdult({ phoneRegionCode: null, ipRegionCode: undefined }), policy);
    expect(result.local).toBe(true);
    expect(result.locality.phone).toBe('unknown');
    expect(result.locality.ip).toBe('unknown');
    const garbage = assessSuitability(aLocalAdult({ phoneRegionCode: '', ipRegionCode: '99xxxx' }), policy);
    expect(garbage.local).toBe(true);
    expect(garbage.locality.ip).toBe('unknown');
  });

  it('an unreadable residence cannot be confirmed local', () => {
    const result = assessSuitability(aLocalAdult({ residenceRegionCode: '' }), policy);
    expect(result.local).toBe(false);
    expect(result.mismatches).toEqual(['residence_unknown']);
  });
});

describe('local operation from looked-up regions', () => {
  const fromData = (overrides: Partial<SuitabilityInput> = {}): SuitabilityInput =>
    aLocalAdult({ phoneRegionCode: undefined, ipRegionCode: undefined, ...overrides });
  const found = (regionCode: string) => ({ status: 'found' as const, regionCode });

  it('when the channel sends nothing, the looked-up phone and IP regions are compared', () => {
    const local = assessSuitability(fromData({ phoneLookup: found('110000'), ipLookup: found('110000') }), policy);
    expect(local).toMatchObject({ local: true, mismatches: [], notes: [] });
    expect(local.locality).toEqual({ id: '11', residence: '11', phone: '11', ip: '11' });
    const away = assessSuitability(fromData({ phoneLookup: found('320700'), ipLookup: found('440300') }), policy);
    expect(away.mismatches).toEqual(['phone_vs_residence', 'ip_vs_residence']);
    expect(away.locality).toMatchObject({ phone: '32', ip: '44' });
  });

  it("a channel's region that agrees with the looked-up one is no mismatch", () => {
    const result = assessSuitability(aLocalAdult({ phoneLookup: found('110000'), ipLookup: found('110000') }), policy);
    expect(result).toMatchObject({ local: true, mismatches: [], notes: [] });
  });

  it("a channel's region that disagrees with the looked-up one is a mismatch, and the channel's is still compared", () => {
    const result = assessSuitability(aLocalAdult({ phoneLookup: found('440100'), ipLookup: found('310000') }), policy);
    expect(result.local).toBe(false);
    expect(result.mismatches).toEqual(['phone_channel_vs_lookup', 'ip_channel_vs_lookup']);
    expect(result.locality).toMatchObject({ phone: '11', ip: '11' });
  });

  it("a channel's mainland IP region for an address abroad disagrees with the lookup", () => {
    const result = assessSuitability(aLocalAdult({ ipLookup: { status: 'outside_mainland' } }), policy);
    expect(result.mismatches).toEqual(['ip_channel_vs_lookup']);
    expect(result.notes).toEqual(['ip_outside_mainland']);
  });

  it('an unknown segment, a foreign IP and a private IP are stated as notes, not guessed and not mismatches', () => {
    const unknown = assessSuitability(
      fromData({ phoneLookup: { status: 'unknown' }, ipLookup: { status: 'unknown' } }),
      policy,
    );
    expect(unknown).toMatchObject({
      local: true,
      mismatches: [],
      notes: ['phone_region_unknown', 'ip_region_unknown'],
    });
    expect(unknown.locality).toMatchObject({ phone: 'unknown', ip: 'unknown' });
    const abroad = assessSuitability(fromData({ ipLookup: { status: 'outside_mainland' } }), policy);
    expect(abroad).toMatchObject({ local: true, mismatches: [], notes: ['ip_outside_mainland'] });
    const privateIp = assessSuitability(fromData({ ipLookup: { status: 'not_public' } }), policy);
    expect(privateIp.notes).toEqual(['ip_not_public']);
    const noIp = assessSuitability(fromData({ ipLookup: { status: 'not_given' } }), policy);
    expect(noIp.notes).toEqual([]);
  });

  it("when the lookup finds nothing, the channel's region is used", () => {
    const result = assessSuitability(
      aLocalAdult({ phoneRegionCode: '440300', phoneLookup: { status: 'unknown' } }),
      policy,
    );
    expect(result.mismatches).toEqual(['phone_vs_residence']);
    expect(result.notes).toEqual(['phone_region_unknown']);
  });
});
