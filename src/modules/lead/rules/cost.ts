/**
 * The all-in financing cost (综合融资成本) of a product for one case's amount and term: the
 * borrower's real cash flows (the money received after upfront fees against every monthly payment,
 * monthly fees included), their periodic IRR, annualised as IRR × 12 (单利, the usual disclosure,
 * PBoC announcement [2021] No. 3) with the compound figure (1 + IRR)^12 − 1 beside it. Pure and
 * deterministic: it runs in activities and may run in workflow code, so no Node built-ins here (the
 * disclosure's hash is computed where I/O is allowed).
 */
import { DomainError } from '../../../platform/domain/errors';
import type { FeeBasis, FeePayee, RepaymentMethod } from '../../../platform/domain/types';

export interface Fee {
  name: string;
  payee: FeePayee;
  basis: FeeBasis;
  /** A percentage of the principal for the `_pct_` bases, CNY for the flat ones. */
  value: number;
}

export interface Pricing {
  repayment: RepaymentMethod;
  nominalAprPct: number;
  fees: readonly Fee[];
}

export interface CashFlows {
  /** What the borrower has in hand at the start: the principal less every upfront fee. */
  received: number;
  /** What the borrower pays at the end of month 1..n: principal, interest and monthly fees. */
  payments: number[];
}

export interface FeeDisclosure extends Fee {
  /** CNY collected by the payee over the whole loan. */
  amount: number;
  /** What this fee alone adds to the annualised cost (IRR × 12 with only this fee, less the nominal rate). */
  annualisedPct: number;
}

/** What the customer is shown for one product at their amount and term (before it is hashed). */
export interface CostDisclosure {
  principal: number;
  termMonths: number;
  repayment: RepaymentMethod;
  nominalAprPct: number;
  /** Principal less upfront fees. */
  received: number;
  fees: FeeDisclosure[];
  /** CNY, every fee over the whole loan. */
  feesTotal: number;
  /** IRR × 12, every fee included (单利): the figure the cap is checked against. */
  allInAprPct: number;
  /** (1 + IRR)^12 − 1, for comparison; a compound figure must say so. */
  compoundAprPct: number;
  firstRepayment: number;
  totalRepayment: number;
  method: 'irr_monthly_x12';
}

const UNDEFINED = 'all_in_cost_undefined';

/** Month 1..n payments of principal and interest at the nominal rate, fees aside. */
export function loanPayments(
  repayment: RepaymentMethod,
  nominalAprPct: number,
  principal: number,
  n: number,
): number[] {
  const r = nominalAprPct / 1200;
  const months = Array.from({ length: n }, (_, k) => k + 1);
  switch (repayment) {
    case 'equal_instalment': {
      const instalment = r === 0 ? principal / n : (principal * r) / (1 - (1 + r) ** -n);
      return months.map(() => instalment);
    }
    case 'equal_principal':
      return months.map((t) => principal / n + (principal - (principal / n) * (t - 1)) * r);
    case 'interest_only_bullet':
      return months.map((t) => principal * r + (t === n ? principal : 0));
  }
}

/** A fee as CNY at the start and CNY each month. */
export function feeFlow(fee: Fee, principal: number): { upfront: number; monthly: number } {
  switch (fee.basis) {
    case 'upfront_pct_of_principal':
      return { upfront: (principal * fee.value) / 100, monthly: 0 };
    case 'monthly_pct_of_principal':
      return { upfront: 0, monthly: (principal * fee.value) / 100 };
    case 'flat_upfront':
      return { upfront: fee.value, monthly: 0 };
    case 'flat_monthly':
      return { upfront: 0, monthly: fee.value };
  }
}

export function cashFlows(pricing: Pricing, principal: number, n: number): CashFlows {
  let received = principal;
  const payments = loanPayments(pricing.repayment, pricing.nominalAprPct, principal, n);
  for (const fee of pricing.fees) {
    const { upfront, monthly } = feeFlow(fee, principal);
    received -= upfront;
    for (let t = 0; t < n; t++) payments[t]! += monthly;
  }
  return { received, payments };
}

/** NPV of the borrower's flows at a monthly rate, and its derivative. */
function npv({ received, payments }: CashFlows, i: number): { value: number; slope: number } {
  let value = -received;
  let slope = 0;
  let discount = 1;
  for (let t = 1; t <= payments.length; t++) {
    discount /= 1 + i;
    value += payments[t - 1]! * discount;
    slope -= (t * payments[t - 1]! * discount) / (1 + i);
  }
  return { value, slope };
}

const MAX_MONTHLY_RATE = 1e4;

/**
 * The monthly IRR: the rate at which what is received equals the value of what is paid. With money
 * received first and only payments after, the NPV falls strictly with the rate, so the root is
 * unique; Newton's method from the nominal rate, kept inside a bracket and replaced by bisection
 * whenever it would leave it. Throws `all_in_cost_undefined` when there is no such rate (nothing
 * received once upfront fees are taken, a payment that is not a finite non-negative number).
 */
export function periodicIrr(flows: CashFlows, guess = 0.01): number {
  assertSolvable(flows);
  const bracket = { lo: -0.99, hi: upperBound(flows) };
  let x = guess > bracket.lo && guess < bracket.hi ? guess : (bracket.lo + bracket.hi) / 2;
  for (let step = 0; step < 300; step++) {
    const next = safeNewtonStep(flows, x, bracket);
    if (next === x || Math.abs(next - x) < 1e-15 || bracket.hi - bracket.lo < 1e-15) return next;
    x = next;
  }
  return x;
}

function assertSolvable({ received, payments }: CashFlows): void {
  if (!(Number.isFinite(received) && received > 0))
    throw new DomainError(UNDEFINED, 'the upfront fees take the whole principal: the all-in cost is undefined');
  if (payments.length === 0 || payments.some((p) => !(Number.isFinite(p) && p >= 0)) || !payments.some((p) => p > 0))
    throw new DomainError(
      UNDEFINED,
      'the repayments are not finite non-negative amounts: the all-in cost is undefined',
    );
}

/** A monthly rate at which the NPV is negative: the top of the bracket. */
function upperBound(flows: CashFlows): number {
  let hi = 1;
  while (npv(flows, hi).value > 0) {
    hi *= 2;
    if (hi > MAX_MONTHLY_RATE) throw new DomainError(UNDEFINED, 'the all-in cost is beyond any meaningful rate');
  }
  return hi;
}

/** Narrows the bracket around the root by the sign at `x`, then a Newton step if it stays inside, else the midpoint. */
function safeNewtonStep(flows: CashFlows, x: number, bracket: { lo: number; hi: number }): number {
  const { value, slope } = npv(flows, x);
  if (value === 0) return x;
  if (value > 0) bracket.lo = x;
  else bracket.hi = x;
  const newton = slope < 0 ? x - value / slope : Number.NaN;
  return newton > bracket.lo && newton < bracket.hi ? newton : (bracket.lo + bracket.hi) / 2;
}

const round2 = (v: number) => Math.round(v * 100) / 100;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const aprOf = (i: number) => i * 1200;

/** The disclosure of a product for a principal and a term in months; throws `all_in_cost_undefined`. */
export function costDisclosure(pricing: Pricing, principal: number, termMonths: number): CostDisclosure {
  const flows = cashFlows(pricing, principal, termMonths);
  const guess = pricing.nominalAprPct / 1200;
  const i = periodicIrr(flows, guess);
  const bare = aprOf(periodicIrr(cashFlows({ ...pricing, fees: [] }, principal, termMonths), guess));
  const fees = pricing.fees.map((fee) => {
    const { upfront, monthly } = feeFlow(fee, principal);
    const alone = aprOf(periodicIrr(cashFlows({ ...pricing, fees: [fee] }, principal, termMonths), guess));
    return { ...fee, amount: round2(upfront + monthly * termMonths), annualisedPct: round2(alone - bare) };
  });
  return {
    principal,
    termMonths,
    repayment: pricing.repayment,
    nominalAprPct: pricing.nominalAprPct,
    received: round2(flows.received),
    fees,
    feesTotal: round2(sum(fees.map((f) => f.amount))),
    allInAprPct: round2(aprOf(i)),
    compoundAprPct: round2(((1 + i) ** 12 - 1) * 100),
    firstRepayment: round2(flows.payments[0]!),
    totalRepayment: round2(sum(flows.payments)),
    method: 'irr_monthly_x12',
  };
}

/**
 * Whether a product's cost is defined across its whole range: the received amount is smallest at
 * the minimum principal, and the term changes only the payments, so the four corners suffice.
 * Returns the first corner where it is not, or null.
 */
export function undefinedCostCorner(
  pricing: Pricing,
  range: { amountMin: number; amountMax: number; termMinMonths: number; termMaxMonths: number },
): { principal: number; termMonths: number; message: string } | null {
  for (const principal of [range.amountMin, range.amountMax]) {
    for (const termMonths of [range.termMinMonths, range.termMaxMonths]) {
      try {
        costDisclosure(pricing, principal, termMonths);
      } catch (err) {
        if (err instanceof DomainError && err.code === UNDEFINED)
          return { principal, termMonths, message: err.message };
        throw err;
      }
    }
  }
  return null;
}
