import { defaultPolicy } from '../../src/platform/config/policy';
import { monthlyInstalment, stressTest } from '../../src/modules/lead/rules/dti';
import { policyWith } from './factories';

describe('monthly instalment (equal instalments)', () => {
  it('at 0 % is the amount spread evenly over the term', () => {
    expect(monthlyInstalment(12_000, 12, 0)).toBe(1_000);
  });

  it('at 12 % APR over 12 months follows the annuity formula', () => {
    // 1 % a month: 12,000 × 0.01 / (1 − 1.01^−12) = 1,066.19
    expect(monthlyInstalment(12_000, 12, 12)).toBeCloseTo(1_066.19, 2);
  });

  it('a higher rate means a higher instalment', () => {
    expect(monthlyInstalment(100_000, 36, 21)).toBeGreaterThan(monthlyInstalment(100_000, 36, 18));
  });

  it('refuses a term of zero months', () => {
    expect(() => monthlyInstalment(12_000, 0, 12)).toThrow(RangeError);
  });
});

describe('DTI stress test', () => {
  // With no rate at all, instalments are exact and the percentages easy to check by hand.
  const interestFree = policyWith({ dti: { assumedAprPct: 0, rateShockPp: 0 } });

  it('adds the new instalment to existing debt and divides by income', () => {
    const result = stressTest(
      { monthlyIncome: 10_000, monthlyDebt: 1_000, amount: 36_000, termMonths: 12 },
      interestFree,
    );
    expect(result.instalment).toBe(3_000);
    expect(result.dtiPct).toBe(40);
    // Income down 20 %: 4,000 / 8,000.
    expect(result.stressedDtiPct).toBe(50);
  });

  it('the stressed figure uses the rate shock on top of the assumed APR', () => {
    const result = stressTest(
      { monthlyIncome: 20_000, monthlyDebt: 0, amount: 100_000, termMonths: 36 },
      defaultPolicy(),
    );
    expect(result.instalment).toBe(Math.round(monthlyInstalment(100_000, 36, 18) * 100) / 100);
    expect(result.stressedInstalment).toBe(Math.round(monthlyInstalment(100_000, 36, 21) * 100) / 100);
    expect(result.stressedDtiPct).toBeCloseTo((monthlyInstalment(100_000, 36, 21) / 16_000) * 100, 2);
  });

  it('rounds percentages to two decimals', () => {
    const result = stressTest({ monthlyIncome: 3_000, monthlyDebt: 0, amount: 12_000, termMonths: 12 }, interestFree);
    expect(result.dtiPct).toBe(33.33);
    expect(result.stressedDtiPct).toBe(41.67);
  });

  it('no income gives an infinite DTI, not NaN', () => {
    const result = stressTest({ monthlyIncome: 0, monthlyDebt: 0, amount: 12_000, termMonths: 12 }, defaultPolicy());
    expect(result.dtiPct).toBe(Infinity);
    expect(result.stressedDtiPct).toBe(Infinity);
  });

  it('an income shock of 100 % makes the stressed DTI infinite', () => {
    const result = stressTest(
      { monthlyIncome: 10_000, monthlyDebt: 0, amount: 12_000, termMonths: 12 },
      policyWith({ dti: { incomeShockPct: 100 } }),
    );
    expect(result.dtiPct).toBeLessThan(Infinity);
    expect(result.stressedDtiPct).toBe(Infinity);
  });

  it('a harsher income shock in the policy raises the stressed DTI', () => {
    const input = { monthlyIncome: 10_000, monthlyDebt: 1_000, amount: 36_000, termMonths: 12 };
    const harsh = policyWith({ dti: { assumedAprPct: 0, rateShockPp: 0, incomeShockPct: 50 } });
    expect(stressTest(input, harsh).stressedDtiPct).toBe(80);
    expect(stressTest(input, interestFree).stressedDtiPct).toBe(50);
  });
});
