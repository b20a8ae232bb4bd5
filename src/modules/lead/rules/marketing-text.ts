/**
 * Compliance check of marketing text that brokers or channels send (广告合规): no promise of approval,
 * no "low rate"/"free" lure the contract does not back, an annualised rate shown, and the risk warning.
 * A text that promotes a product (the caller names the product's lenders) must also show the rate as
 * 年化利率 (the all-in annualised rate, every fee included) and name each lender: PBoC announcement
 * [2021] No. 3.
 */

export type MarketingViolationCode =
  | 'promise_of_approval'
  | 'unbacked_low_rate'
  | 'unbacked_free'
  | 'apr_not_disclosed'
  | 'risk_warning_missing'
  | 'annualised_rate_not_labelled'
  | 'lender_not_named';

export interface MarketingViolation {
  code: MarketingViolationCode;
  message: string;
  /** UTF-16 index range of the offending phrase; start = end = text.length for something missing. */
  start: number;
  end: number;
}

export interface MarketingTextOptions {
  /** The contract really offers the advertised low rate (低息). */
  contractBacksLowRate?: boolean;
  /** The contract really is free of charge / interest (免费, 免息). */
  contractBacksFree?: boolean;
  /**
   * The text promotes a product of these lenders (as the text must name them, e.g. 招商银行): it must
   * then show the rate as 年化利率 … % and name every one of them.
   */
  lenderNames?: readonly string[];
}

/** What a product's promotion discloses: present when the caller named the lenders. */
export interface PromotionDisclosure {
  /** 年化利率 is shown with a percentage within reach (the all-in annualised rate, every fee included). */
  annualisedRateShown: boolean;
  lendersNamed: string[];
  lendersMissing: string[];
}

export interface MarketingTextResult {
  ok: boolean;
  violations: MarketingViolation[];
  promotion?: PromotionDisclosure;
}

// Whitespace is tolerated inside "100 % 通过" so a space cannot smuggle the promise through.
const APPROVAL_PROMISES = ['秒批', '零门槛', '包过', '无视征信', '黑户可贷'] as const;
const LOW_RATE_LURES = ['低息'] as const;
// 免息 ("interest-free") is a claim that something costs nothing, so it needs the same backing as 免费.
const FREE_LURES = ['免费', '免息'] as const;
const RISK_WARNING_START = '贷款有风险';
const RISK_WARNING_END = '借款需谨慎';
/** How far after "年化" or "APR" the percentage may start. */
const APR_REACH = 20;

/** Counts the scan's elementary steps, so tests can check the work grows linearly with the text. */
export interface ScanMeter {
  steps: number;
}

/**
 * One pass over the text, without regular expressions: backtracking patterns over runs of digits
 * or spaces ("1111…", "1% … ") cost time quadratic in the text, which a caller could use to stall
 * the event loop. Three right-to-left tables say where each run of whitespace, digits and
 * warning separators ends, so every later test at a position is a bounded number of comparisons:
 * the work is O(length).
 */
export function checkMarketingText(
  text: string,
  opts: MarketingTextOptions = {},
  meter: ScanMeter = { steps: 0 },
): MarketingTextResult {
  const scan = scanText(text, meter);
  const phraseRules = PHRASE_RULES.filter((rule) => rule.applies(opts));
  const violations: MarketingViolation[] = [];
  // Each kind's matches do not overlap one another (as a global regex's would not): a kind's next
  // match starts at or after the end of its last one.
  const resumeAt: Record<PhraseKind, number> = { promise_of_approval: 0, unbacked_low_rate: 0, unbacked_free: 0 };
  const shown = REQUIRED.map(() => false);
  for (let i = 0; i < scan.n; i++) {
    meter.steps++;
    for (const rule of phraseRules) {
      if (i < resumeAt[rule.kind]) continue;
      const end = rule.matchEnd(scan, i);
      if (end < 0) continue;
      violations.push({ code: rule.kind, message: rule.message(text.slice(i, end)), start: i, end });
      resumeAt[rule.kind] = end;
    }
    REQUIRED.forEach((rule, k) => {
      if (!shown[k]) shown[k] = rule.shownAt(scan, i);
    });
  }
  REQUIRED.forEach((rule, k) => {
    if (!shown[k]) violations.push(missing(text, rule.code, rule.message));
  });
  if (!opts.lenderNames) return { ok: violations.length === 0, violations };
  const promotion = promotionDisclosure(scan, opts.lenderNames);
  if (!promotion.annualisedRateShown) {
    violations.push(missing(text, 'annualised_rate_not_labelled', ANNUALISED_RATE_MESSAGE));
  }
  for (const name of promotion.lendersMissing) {
    violations.push(missing(text, 'lender_not_named', `the lender whose product it promotes is not named: ${name}`));
  }
  return { ok: violations.length === 0, violations, promotion };
}

const ANNUAL_RATE_LABEL = '年化利率';
const ANNUALISED_RATE_MESSAGE =
  'the rate is not shown as 年化利率 … % (the annualised rate with every fee included, PBoC announcement [2021] No. 3)';

/** Whether 年化利率 comes with a percentage, and which lenders the text names; linear in the text. */
function promotionDisclosure(scan: Scan, lenderNames: readonly string[]): PromotionDisclosure {
  let annualisedRateShown = false;
  for (let i = 0; i < scan.n && !annualisedRateShown; i++) {
    annualisedRateShown = has(scan, i, ANNUAL_RATE_LABEL) && percentageWithin(scan, i + ANNUAL_RATE_LABEL.length);
  }
  const names = [...new Set(lenderNames.map((name) => name.trim()).filter((name) => name.length > 0))];
  const named = (name: string) => scan.text.includes(name);
  return {
    annualisedRateShown,
    lendersNamed: names.filter(named),
    lendersMissing: names.filter((name) => !named(name)),
  };
}

type PhraseKind = 'promise_of_approval' | 'unbacked_low_rate' | 'unbacked_free';

/** A phrase the text must not hold (unless the contract backs it). */
interface PhraseRule {
  kind: PhraseKind;
  message: (phrase: string) => string;
  applies: (opts: MarketingTextOptions) => boolean;
  /** The end of such a phrase starting at `i`, or -1. */
  matchEnd: (scan: Scan, i: number) => number;
}

/** Something the text must show somewhere. */
interface RequiredRule {
  code: MarketingViolationCode;
  message: string;
  shownAt: (scan: Scan, i: number) => boolean;
}

// In the order their violations are listed at one position.
const PHRASE_RULES: readonly PhraseRule[] = [
  {
    kind: 'promise_of_approval',
    message: (p) => `promises approval: "${p}"`,
    applies: () => true,
    matchEnd: approvalPromiseEnd,
  },
  {
    kind: 'unbacked_low_rate',
    message: (p) => `claims a low rate the contract does not back: "${p}"`,
    applies: (opts) => !opts.contractBacksLowRate,
    matchEnd: (scan, i) => listedPhraseEnd(scan, i, LOW_RATE_LURES),
  },
  {
    kind: 'unbacked_free',
    message: (p) => `claims something is free the contract does not back: "${p}"`,
    applies: (opts) => !opts.contractBacksFree,
    matchEnd: (scan, i) => listedPhraseEnd(scan, i, FREE_LURES),
  },
];

const REQUIRED: readonly RequiredRule[] = [
  { code: 'apr_not_disclosed', message: 'no annualised rate shown (年化 … % or APR … %)', shownAt: aprShownAt },
  { code: 'risk_warning_missing', message: 'risk warning missing: 贷款有风险，借款需谨慎', shownAt: riskWarningAt },
];

function listedPhraseEnd(scan: Scan, i: number, phrases: readonly string[]): number {
  const phrase = phrases.find((p) => has(scan, i, p));
  return phrase ? i + phrase.length : -1;
}

/** A listed promise, or "100 % 通过" with any whitespace around the sign. */
function approvalPromiseEnd(scan: Scan, i: number): number {
  const listed = listedPhraseEnd(scan, i, APPROVAL_PROMISES);
  if (listed >= 0 || !has(scan, i, '100')) return listed;
  const sign = scan.spaceEnd[i + 3];
  const pass = isPercent(charCode(scan, sign)) ? scan.spaceEnd[sign + 1] : -1;
  return pass >= 0 && has(scan, pass, '通过') ? pass + 2 : -1;
}

/** "年化 … %" or "APR … %" within reach, or a percentage followed by "APR". */
function aprShownAt(scan: Scan, i: number): boolean {
  const percentage = percentageEnd(scan, i);
  return (
    (has(scan, i, '年化') && percentageWithin(scan, i + 2)) ||
    (isApr(scan, i) && percentageWithin(scan, i + 3)) ||
    (percentage >= 0 && isApr(scan, scan.spaceEnd[percentage]))
  );
}

/** Both halves of the risk warning, with only spaces and separators between them. */
function riskWarningAt(scan: Scan, i: number): boolean {
  return (
    has(scan, i, RISK_WARNING_START) && has(scan, scan.separatorEnd[i + RISK_WARNING_START.length], RISK_WARNING_END)
  );
}

/** The text with its run tables; every test at a position counts its steps on the meter. */
interface Scan {
  text: string;
  n: number;
  meter: ScanMeter;
  /** spaceEnd[i] / digitEnd[i] / separatorEnd[i]: the first index >= i outside that run. */
  spaceEnd: Int32Array;
  digitEnd: Int32Array;
  separatorEnd: Int32Array;
  /** nextPercentage[i]: the first index >= i where a percentage starts (n when none). */
  nextPercentage: Int32Array;
}

function scanText(text: string, meter: ScanMeter): Scan {
  const n = text.length;
  const scan: Scan = {
    text,
    n,
    meter,
    spaceEnd: new Int32Array(n + 1),
    digitEnd: new Int32Array(n + 1),
    separatorEnd: new Int32Array(n + 1),
    nextPercentage: new Int32Array(n + 1),
  };
  const { spaceEnd, digitEnd, separatorEnd, nextPercentage } = scan;
  spaceEnd[n] = digitEnd[n] = separatorEnd[n] = n;
  for (let i = n - 1; i >= 0; i--) {
    meter.steps++;
    const c = text.charCodeAt(i);
    spaceEnd[i] = isSpace(c) ? spaceEnd[i + 1] : i;
    digitEnd[i] = isDigit(c) ? digitEnd[i + 1] : i;
    separatorEnd[i] = isSpace(c) || WARNING_SEPARATORS.has(c) ? separatorEnd[i + 1] : i;
  }
  nextPercentage[n] = n;
  for (let i = n - 1; i >= 0; i--) nextPercentage[i] = percentageEnd(scan, i) >= 0 ? i : nextPercentage[i + 1];
  return scan;
}

const charCode = (scan: Scan, i: number) => (i < scan.n ? scan.text.charCodeAt(i) : -1);

function has(scan: Scan, i: number, phrase: string): boolean {
  for (let k = 0; k < phrase.length; k++) {
    scan.meter.steps++;
    if (charCode(scan, i + k) !== phrase.charCodeAt(k)) return false;
  }
  return true;
}

/** The end (after the % sign) of a percentage `\d+(\.\d+)?\s*[%％]` starting at `p`, or -1. */
function percentageEnd(scan: Scan, p: number): number {
  scan.meter.steps++;
  if (!isDigit(charCode(scan, p))) return -1;
  const whole = scan.digitEnd[p];
  let sign = scan.spaceEnd[whole];
  if (isPercent(charCode(scan, sign))) return sign + 1;
  if (charCode(scan, whole) === DOT && isDigit(charCode(scan, whole + 1))) {
    sign = scan.spaceEnd[scan.digitEnd[whole + 1]];
    if (isPercent(charCode(scan, sign))) return sign + 1;
  }
  return -1;
}

const percentageWithin = (scan: Scan, from: number) =>
  from <= scan.n && scan.nextPercentage[from] < scan.n && scan.nextPercentage[from] <= from + APR_REACH;

function isApr(scan: Scan, i: number): boolean {
  scan.meter.steps++;
  return (
    i + 3 <= scan.n &&
    (charCode(scan, i) | 0x20) === 0x61 &&
    (charCode(scan, i + 1) | 0x20) === 0x70 &&
    (charCode(scan, i + 2) | 0x20) === 0x72
  );
}

const DOT = 0x2e;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isPercent = (c: number) => c === 0x25 || c === 0xff05;
// The characters JavaScript's \s matches.
const SPACES = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff,
]);
const isSpace = (c: number) => SPACES.has(c) || (c >= 0x2000 && c <= 0x200a);
// Between the two halves of the risk warning: spaces and , ， 、 ; ； . 。 ! ！
const WARNING_SEPARATORS = new Set([...',，、;；.。!！'].map((ch) => ch.charCodeAt(0)));

function missing(text: string, code: MarketingViolationCode, message: string): MarketingViolation {
  return { code, message, start: text.length, end: text.length };
}
