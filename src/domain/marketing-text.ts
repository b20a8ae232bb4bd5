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
const APPROVAL_PROMISES = /秒批|零门槛|100\s*[%％]\s*通过|包过|无视征信|黑户可贷/g;
const LOW_RATE_LURES = /低息/g;
// 免息 ("interest-free") is a claim that something costs nothing, so it needs the same backing as 免费.
const FREE_LURES = /免费|免息/g;
const PERCENTAGE = String.raw`\d+(?:\.\d+)?\s*[%％]`;
// "年化" (annualised) with a percentage within ~20 characters, or "APR" next to a percentage.
const APR_DISCLOSURE = new RegExp(
  String.raw`年化[\s\S]{0,20}?${PERCENTAGE}|APR[\s\S]{0,20}?${PERCENTAGE}|${PERCENTAGE}\s*APR`,
  'i',
);
const RISK_WARNING = /贷款有风险[\s,，、;；.。!！]*借款需谨慎/;

export function checkMarketingText(text: string, opts: MarketingTextOptions = {}): MarketingTextResult {
  const violations: MarketingViolation[] = [];

  for (const found of text.matchAll(APPROVAL_PROMISES)) {
    violations.push(at(found, 'promise_of_approval', `promises approval: "${found[0]}"`));
  }
  if (!opts.contractBacksLowRate) {
    for (const found of text.matchAll(LOW_RATE_LURES)) {
      violations.push(at(found, 'unbacked_low_rate', `claims a low rate the contract does not back: "${found[0]}"`));
    }
  }
  if (!opts.contractBacksFree) {
    for (const found of text.matchAll(FREE_LURES)) {
      violations.push(at(found, 'unbacked_free', `claims something is free the contract does not back: "${found[0]}"`));
    }
  }
  violations.sort((a, b) => a.start - b.start);

  if (!APR_DISCLOSURE.test(text)) {
    violations.push(missing(text, 'apr_not_disclosed', 'no annualised rate shown (年化 … % or APR … %)'));
  }
  if (!RISK_WARNING.test(text)) {
    violations.push(missing(text, 'risk_warning_missing', 'risk warning missing: 贷款有风险，借款需谨慎'));
  }
  return { ok: violations.length === 0, violations };
}

function at(found: RegExpMatchArray, code: MarketingViolationCode, message: string): MarketingViolation {
  const start = found.index ?? 0;
  return { code, message, start, end: start + found[0].length };
}

function missing(text: string, code: MarketingViolationCode, message: string): MarketingViolation {
  return { code, message, start: text.length, end: text.length };
}
