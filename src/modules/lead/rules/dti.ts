/**
 * Debt-to-income (DTI) stress test for the pre-screen: existing monthly debt plus the new loan's
 * instalment over monthly income, then re-run with income down and the rate up.
 */
import type { Policy } from '../../../platform/config/policy';

export interface StressTestInput {
  monthlyIncome: number;
  monthlyDebt: number;
  amount: number;
  termMonths: number;
}

export interface StressTestResult {
  /** Monthly instalment at policy.dti.assumedAprPct, in CNY rounded to the fen. */
  instalment: number;
  /** Monthly instalment with the rate shock added. */
  stressedInstalment: number;
  /** Percentages rounded to 2 decimals; Infinity when there is no income to bear any debt. */
  dtiPct: number;
  stressedDtiPct: number;
}

/** Equal-instalment (等额本息) monthly payment at APR/12 per month; at 0 % simply amount / term. */
export function monthlyInstalment(amount: number, termMonths: number, aprPct: number): number {
  if (!(termMonths > 0)) throw new RangeError('termMonths must be positive');
  const monthlyRate = aprPct / 100 / 12;
  if (monthlyRate === 0) return amount / termMonths;
  return (amount * monthlyRate) / (1 - Math.pow(1 + monthlyRate, -termMonths));
}

export function stressTest(input: StressTestInput, policy: Policy): StressTestResult {
  const { assumedAprPct, rateShockPp, incomeShockPct } = policy.dti;
  const instalment = monthlyInstalment(input.amount, input.termMonths, assumedAprPct);
  const stressedInstalment = monthlyInstalment(input.amount, input.termMonths, assumedAprPct + rateShockPp);
  const stressedIncome = input.monthlyIncome * (1 - incomeShockPct / 100);
  return {
    instalment: round2(instalment),
    stressedInstalment: round2(stressedInstalment),
    dtiPct: round2(debtToIncomePct(input.monthlyDebt + instalment, input.monthlyIncome)),
    stressedDtiPct: round2(debtToIncomePct(input.monthlyDebt + stressedInstalment, stressedIncome)),
  };
}

// No income (or a shock that wipes it out) can carry no debt: Infinity, never NaN, so "above any limit" holds.
function debtToIncomePct(monthlyDebtService: number, monthlyIncome: number): number {
  if (!(monthlyIncome > 0)) return Infinity;
  return (monthlyDebtService / monthlyIncome) * 100;
}

function round2(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.round((value + Number.EPSILON) * 100) / 100;
}
