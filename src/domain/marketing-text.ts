/**
 * Compliance check of marketing text that brokers or channels send (广告合规): no promise of approval,
 * no "low rate"/"free" lure the contract does not back, an annualised rate shown, and the risk warning.
 */

export type MarketingViolationCode =
  | 'promise_of_approval'
  | 'unbacked_low_rate'
  | 'unbacked_free'
  | 'apr_not_disclosed'
  | 'risk_warning_missing';

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
}

export interface MarketingTextResult {
  ok: boolean;
  violations: MarketingViolation[];
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
export function checkMarketingText(text: string, opts: MarketingTextOptions = {}, meter: ScanMeter = { steps: 0 }): MarketingTextResult {
  const n = text.length;
  const code = (i: number) => (i < n ? text.charCodeAt(i) : -1);
  const has = (i: number, phrase: string): boolean => {
    for (let k = 0; k < phrase.length; k++) {
      meter.steps++;
      if (code(i + k) !== phrase.charCodeAt(k)) return false;
    }
    return true;
  };

  // spaceEnd[i] / digitEnd[i] / separatorEnd[i]: the first index >= i outside that run.
  const spaceEnd = new Int32Array(n + 1);
  const digitEnd = new Int32Array(n + 1);
  const separatorEnd = new Int32Array(n + 1);
  spaceEnd[n] = digitEnd[n] = separatorEnd[n] = n;
  for (let i = n - 1; i >= 0; i--) {
    meter.steps++;
    const c = text.charCodeAt(i);
    spaceEnd[i] = isSpace(c) ? spaceEnd[i + 1] : i;
    digitEnd[i] = isDigit(c) ? digitEnd[i + 1] : i;
    separatorEnd[i] = isSpace(c) || WARNING_SEPARATORS.has(c) ? separatorEnd[i + 1] : i;
  }

  /** The end (after the % sign) of a percentage `\d+(\.\d+)?\s*[%％]` starting at `p`, or -1. */
  const percentageEnd = (p: number): number => {
    meter.steps++;
    if (!isDigit(code(p))) return -1;
    const whole = digitEnd[p];
    let sign = spaceEnd[whole];
    if (isPercent(code(sign))) return sign + 1;
    if (code(whole) === DOT && isDigit(code(whole + 1))) {
      sign = spaceEnd[digitEnd[whole + 1]];
      if (isPercent(code(sign))) return sign + 1;
    }
    return -1;
  };
  // nextPercentage[i]: the first index >= i where a percentage starts (n when none).
  const nextPercentage = new Int32Array(n + 1);
  nextPercentage[n] = n;
  for (let i = n - 1; i >= 0; i--) nextPercentage[i] = percentageEnd(i) >= 0 ? i : nextPercentage[i + 1];
  const percentageWithin = (from: number) => from <= n && nextPercentage[from] < n && nextPercentage[from] <= from + APR_REACH;
  const isApr = (i: number): boolean => {
    meter.steps++;
    return i + 3 <= n && (code(i) | 0x20) === 0x61 && (code(i + 1) | 0x20) === 0x70 && (code(i + 2) | 0x20) === 0x72;
  };

  const violations: MarketingViolation[] = [];
  // Each kind's matches do not overlap one another (as a global regex's would not): a kind's next
  // match starts at or after the end of its last one.
  const resumeAt: Record<PhraseKind, number> = { promise_of_approval: 0, unbacked_low_rate: 0, unbacked_free: 0 };
  const report = (kind: PhraseKind, start: number, end: number) => {
    const phrase = text.slice(start, end);
    violations.push({ code: kind, message: MESSAGES[kind](phrase), start, end });
    resumeAt[kind] = end;
  };
  let aprDisclosed = false;
  let riskWarned = false;
  for (let i = 0; i < n; i++) {
    meter.steps++;
    if (i >= resumeAt.promise_of_approval) {
      const phrase = APPROVAL_PROMISES.find((p) => has(i, p));
      if (phrase) report('promise_of_approval', i, i + phrase.length);
      else if (has(i, '100')) {
        const sign = spaceEnd[i + 3];
        const pass = isPercent(code(sign)) ? spaceEnd[sign + 1] : -1;
        if (pass >= 0 && has(pass, '通过')) report('promise_of_approval', i, pass + 2);
      }
    }
    if (!opts.contractBacksLowRate && i >= resumeAt.unbacked_low_rate) {
      const phrase = LOW_RATE_LURES.find((p) => has(i, p));
      if (phrase) report('unbacked_low_rate', i, i + phrase.length);
    }
    if (!opts.contractBacksFree && i >= resumeAt.unbacked_free) {
      const phrase = FREE_LURES.find((p) => has(i, p));
      if (phrase) report('unbacked_free', i, i + phrase.length);
    }
    if (!aprDisclosed) {
      const percentage = percentageEnd(i);
      aprDisclosed =
        (has(i, '年化') && percentageWithin(i + 2)) ||
        (isApr(i) && percentageWithin(i + 3)) ||
        (percentage >= 0 && isApr(spaceEnd[percentage]));
    }
    if (!riskWarned) riskWarned = has(i, RISK_WARNING_START) && has(separatorEnd[i + RISK_WARNING_START.length], RISK_WARNING_END);
  }
  if (!aprDisclosed) {
    violations.push(missing(text, 'apr_not_disclosed', 'no annualised rate shown (年化 … % or APR … %)'));
  }
  if (!riskWarned) {
    violations.push(missing(text, 'risk_warning_missing', 'risk warning missing: 贷款有风险，借款需谨慎'));
  }
  return { ok: violations.length === 0, violations };
}

type PhraseKind = 'promise_of_approval' | 'unbacked_low_rate' | 'unbacked_free';
const MESSAGES: Record<PhraseKind, (phrase: string) => string> = {
  promise_of_approval: (p) => `promises approval: "${p}"`,
  unbacked_low_rate: (p) => `claims a low rate the contract does not back: "${p}"`,
  unbacked_free: (p) => `claims something is free the contract does not back: "${p}"`,
};

const DOT = 0x2e;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isPercent = (c: number) => c === 0x25 || c === 0xff05;
// The characters JavaScript's \s matches.
const SPACES = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff]);
const isSpace = (c: number) => SPACES.has(c) || (c >= 0x2000 && c <= 0x200a);
// Between the two halves of the risk warning: spaces and , ， 、 ; ； . 。 ! ！
const WARNING_SEPARATORS = new Set([...',，、;；.。!！'].map((ch) => ch.charCodeAt(0)));

function missing(text: string, code: MarketingViolationCode, message: string): MarketingViolation {
  return { code, message, start: text.length, end: text.length };
}
