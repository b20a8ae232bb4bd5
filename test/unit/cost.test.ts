import {
  cashFlows,
  costDisclosure,
  periodicIrr,
  undefinedCostCorner,
  type Fee,
  type Pricing,
} from '../../src/modules/lead/rules/cost';
import { DomainError } from '../../src/platform/domain/errors';

/**
 * The expected values are computed here by another method than the rule's: plain bisection on the
 * NPV, and the spreadsheet's RATE (PMT/PV form) where the payments are level, so a shared mistake
 * in the solver cannot pass unnoticed.
 */
function bisectMonthlyRate(received: number, payments: number[]): number {
  const npv = (i: number) => payments.reduce((acc, p, t) => acc + p / (1 + i) ** (t + 1), -received);
  let lo = 0;
  let hi = 1;
  while (npv(hi) > 0) hi *= 2;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (npv(mid) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Spreadsheet RATE(nper, pmt, pv) for level payments: the rate where the annuity of pmt is worth pv. */
function spreadsheetRate(nper: number, pmt: number, pv: number): number {
  const pvOf = (r: number) => (pmt * (1 - (1 + r) ** -nper)) / r;
  let lo = 1e-9;
  let hi = 1;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (pvOf(mid) > pv) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
const guarantee3Upfront: Fee = { name: '担保费', payee: 'guarantor', basis: 'upfront_pct_of_principal', value: 3 };
const at18 = (fees: Fee[] = [], repayment: Pricing['repayment'] = 'equal_instalment'): Pricing => ({
  repayment,
  nominalAprPct: 18,
  fees,
});

describe('the all-in cost (IRR of the borrower’s cash flows)', () => {
  test('12 equal instalments at 18 % with a 3 % upfront guarantee fee: RATE×12 = 23.91 %, effective 26.71 %', () => {
    const principal = 10_000;
    const d = costDisclosure(at18([guarantee3Upfront]), principal, 12);
    // The instalment by the annuity formula, and the rate by the spreadsheet's RATE on what was received.
    const r = 0.18 / 12;
    const pmt = (principal * r) / (1 - (1 + r) ** -12);
    const rate = spreadsheetRate(12, pmt, principal * 0.97);
    expect(d.received).toBe(9_700);
    expect(d.firstRepayment).toBe(round2(pmt));
    expect(d.firstRepayment).toBe(916.8);
    expect(d.totalRepayment).toBe(round2(pmt * 12));
    expect(d.allInAprPct).toBe(round2(rate * 1200));
    expect(d.allInAprPct).toBe(23.91);
    expect(d.compoundAprPct).toBe(round2(((1 + rate) ** 12 - 1) * 100));
    expect(d.compoundAprPct).toBe(26.71);
    expect(d.fees).toEqual([{ ...guarantee3Upfront, amount: 300, annualisedPct: 5.91 }]);
    expect(d.feesTotal).toBe(300);
    expect(d.method).toBe('irr_monthly_x12');
  });

  test('the solver agrees with plain bisection on the NPV to 1e-9 a month', () => {
    const flows = cashFlows(at18([guarantee3Upfront]), 10_000, 12);
    expect(Math.abs(periodicIrr(flows) - bisectMonthlyRate(flows.received, flows.payments))).toBeLessThan(1e-9);
  });

  test('with no fees the all-in cost is the nominal rate, for every repayment method', () => {
    for (const repayment of ['equal_instalment', 'equal_principal', 'interest_only_bullet'] as const) {
      expect(costDisclosure(at18([], repayment), 50_000, 24).allInAprPct).toBe(18);
    }
  });

  test('equal principal: 12,000 over 12 months at 12 % pays 1,120 first and 12,780 in all; a flat upfront fee lifts the IRR', () => {
    const plain = costDisclosure({ repayment: 'equal_principal', nominalAprPct: 12, fees: [] }, 12_000, 12);
    expect([plain.firstRepayment, plain.totalRepayment, plain.allInAprPct]).toEqual([1_120, 12_780, 12]);
    const fee: Fee = { name: '评估费', payee: 'other', basis: 'flat_upfront', value: 240 };
    const withFee = costDisclosure({ repayment: 'equal_principal', nominalAprPct: 12, fees: [fee] }, 12_000, 12);
    const flows = cashFlows({ repayment: 'equal_principal', nominalAprPct: 12, fees: [fee] }, 12_000, 12);
    expect(flows.received).toBe(11_760);
    expect(withFee.allInAprPct).toBe(round2(bisectMonthlyRate(11_760, flows.payments) * 1200));
    expect(withFee.allInAprPct).toBeGreaterThan(12);
  });

  test('interest only with a bullet: 10,000 at 12 % over 6 months with 10 CNY a month in fees is 13.2 %', () => {
    const fee: Fee = { name: '账户管理费', payee: 'lender', basis: 'flat_monthly', value: 10 };
    const d = costDisclosure({ repayment: 'interest_only_bullet', nominalAprPct: 12, fees: [fee] }, 10_000, 6);
    // Level payments of 110 and the principal back at the end: exactly 1.1 % a month.
    expect(d.firstRepayment).toBe(110);
    expect(d.totalRepayment).toBe(10_660);
    expect(d.allInAprPct).toBe(13.2);
    expect(d.compoundAprPct).toBe(round2((1.011 ** 12 - 1) * 100));
    expect(d.fees[0]).toMatchObject({ amount: 60, annualisedPct: 1.2 });
  });

  test('a monthly fee as a percentage of the principal counts on the whole principal every month', () => {
    const fee: Fee = { name: '担保费', payee: 'guarantor', basis: 'monthly_pct_of_principal', value: 0.15 };
    const flows = cashFlows(at18([fee]), 100_000, 24);
    const d = costDisclosure(at18([fee]), 100_000, 24);
    expect(d.allInAprPct).toBe(round2(bisectMonthlyRate(flows.received, flows.payments) * 1200));
    expect(d.allInAprPct).toBe(21.08);
    expect(d.fees[0]!.amount).toBe(3_600);
  });

  test('a zero nominal rate with no fees costs nothing', () => {
    expect(costDisclosure({ repayment: 'equal_instalment', nominalAprPct: 0, fees: [] }, 1_200, 12)).toMatchObject({
      allInAprPct: 0,
      firstRepayment: 100,
    });
  });

  test('upfront fees that take the whole principal make the cost undefined, and say so', () => {
    const all: Fee = { name: '服务费', payee: 'other', basis: 'upfront_pct_of_principal', value: 100 };
    expect(() => costDisclosure(at18([all]), 10_000, 12)).toThrow(DomainError);
    try {
      costDisclosure(at18([all]), 10_000, 12);
    } catch (err) {
      expect((err as DomainError).code).toBe('all_in_cost_undefined');
    }
    expect(() => periodicIrr({ received: 100, payments: [] })).toThrow('undefined');
    expect(() => periodicIrr({ received: 100, payments: [Number.NaN] })).toThrow('undefined');
  });

  test('the product check finds the corner of its range where the cost is undefined', () => {
    const flat: Fee = { name: '服务费', payee: 'lender', basis: 'flat_upfront', value: 2_000 };
    const range = { amountMin: 1_000, amountMax: 50_000, termMinMonths: 3, termMaxMonths: 12 };
    expect(undefinedCostCorner(at18([flat]), range)).toMatchObject({ principal: 1_000, termMonths: 3 });
    expect(undefinedCostCorner(at18([flat]), { ...range, amountMin: 5_000 })).toBeNull();
  });

  test('a huge but finite cost is still computed (Newton falls back to bisection)', () => {
    const heavy: Fee = { name: '服务费', payee: 'lender', basis: 'upfront_pct_of_principal', value: 90 };
    const flows = cashFlows(at18([heavy]), 10_000, 3);
    expect(Math.abs(periodicIrr(flows, 0.0001) - bisectMonthlyRate(flows.received, flows.payments))).toBeLessThan(1e-9);
  });
});
