/**
 * Channel grading (渠道把关): the figures a channel's cases add up to, and the grade and suspension
 * they earn under the policy. Pure: the review activity counts, this decides.
 */
import type { Policy } from '../../platform/config/policy';
import type { ChannelGrade } from '../../platform/domain/types';

/** Counts over the cases a channel brought in a period. Numbers only, never a person. */
export interface ChannelCounts {
  leads: number;
  /** Cases that got credit_assessment consent (and so could be pre-screened). */
  consented: number;
  prescreened: number;
  tierA: number;
  tierB: number;
  tierC: number;
  /** Applications a lender decided: approved or declined. */
  lenderDecided: number;
  /** Approved by a lender: the conversions. */
  approved: number;
  /** Approved loans a lender has reported as bad (不良). */
  badLoans: number;
  /** Cases whose pre-screen fired a fraud rule (blacklist, device reuse, 多头借贷). */
  fraudFlagged: number;
}

export interface ChannelFigures extends ChannelCounts {
  consentRatePct: number | null;
  approvalRatePct: number | null;
  nplPct: number | null;
  fraudRatePct: number | null;
  /** Acquisition cost per lead times leads, over conversions; null with no conversion. */
  costPerConversionCny: number | null;
}

export const FRAUD_RULE_CODES = ['blacklisted', 'device_reused', 'multi_lender_applications'] as const;

const pctOf = (part: number, whole: number): number | null =>
  whole > 0 ? Math.round((part / whole) * 1000) / 10 : null;

export function channelFigures(c: ChannelCounts, cacCny: number): ChannelFigures {
  return {
    ...c,
    consentRatePct: pctOf(c.consented, c.leads),
    approvalRatePct: pctOf(c.approved, c.lenderDecided),
    nplPct: pctOf(c.badLoans, c.approved),
    fraudRatePct: pctOf(c.fraudFlagged, c.prescreened),
    costPerConversionCny: c.approved > 0 ? Math.round((cacCny * c.leads) / c.approved) : null,
  };
}

export interface GradeDecision {
  grade: ChannelGrade;
  suspend: boolean;
  /** False when the channel brought too few leads to judge: the grade is then the current one. */
  judged: boolean;
  /** Why, in stable codes with the numbers behind them. */
  reasons: string[];
}

/**
 * premium: approval at or above the line and NPL at or below it; risk: NPL or fraud above their
 * lines; general otherwise. Suspension: NPL or fraud above the (higher) suspension lines. A rate
 * with nothing to measure counts neither for nor against: with no lender decision yet the grade
 * stays (unless fraud makes it a risk channel).
 */
export function gradeChannel(f: ChannelFigures, current: ChannelGrade, policy: Policy): GradeDecision {
  const g = policy.channelGrades;
  if (f.leads < g.minLeadsToGrade) {
    return {
      grade: current,
      suspend: false,
      judged: false,
      reasons: [`too_few_leads: leads=${f.leads} < minLeadsToGrade=${g.minLeadsToGrade}`],
    };
  }
  const reasons: string[] = [];
  const above = (value: number | null, line: number) => value !== null && value > line;

  const suspend = above(f.nplPct, g.suspendMinNplPct) || above(f.fraudRatePct, g.suspendMinFraudPct);
  if (above(f.nplPct, g.suspendMinNplPct))
    reasons.push(`npl_above_suspension_line: nplPct=${f.nplPct} > ${g.suspendMinNplPct}`);
  if (above(f.fraudRatePct, g.suspendMinFraudPct))
    reasons.push(`fraud_above_suspension_line: fraudRatePct=${f.fraudRatePct} > ${g.suspendMinFraudPct}`);

  if (above(f.nplPct, g.riskMinNplPct) || above(f.fraudRatePct, g.riskMinFraudPct)) {
    if (above(f.nplPct, g.riskMinNplPct)) reasons.push(`npl_above_risk_line: nplPct=${f.nplPct} > ${g.riskMinNplPct}`);
    if (above(f.fraudRatePct, g.riskMinFraudPct))
      reasons.push(`fraud_above_risk_line: fraudRatePct=${f.fraudRatePct} > ${g.riskMinFraudPct}`);
    return { grade: 'risk', suspend, judged: true, reasons };
  }
  if (f.approvalRatePct === null) {
    // Loans still with the lenders: nothing to judge quality on, so the grade stays where it is.
    return {
      grade: current,
      suspend,
      judged: true,
      reasons: [...reasons, `unchanged: no lender decision yet, grade stays ${current}`],
    };
  }
  const approvalOk = f.approvalRatePct >= g.premiumMinApprovalPct;
  const nplOk = f.nplPct === null || f.nplPct <= g.premiumMaxNplPct;
  if (approvalOk && nplOk) {
    reasons.push(
      `premium: approvalRatePct=${f.approvalRatePct} >= ${g.premiumMinApprovalPct}, nplPct=${f.nplPct ?? 'n/a'} <= ${g.premiumMaxNplPct}`,
    );
    return { grade: 'premium', suspend, judged: true, reasons };
  }
  reasons.push(
    approvalOk
      ? `general: nplPct=${f.nplPct} > premiumMaxNplPct=${g.premiumMaxNplPct}`
      : `general: approvalRatePct=${f.approvalRatePct} < premiumMinApprovalPct=${g.premiumMinApprovalPct}`,
  );
  return { grade: 'general', suspend, judged: true, reasons };
}

export type SuspendedBy = 'review' | 'override' | 'admin';

/** Where a channel stands now, and a manager's override of it if there is one. */
export interface ChannelStanding {
  grade: ChannelGrade;
  suspended: boolean;
  suspendedBy: SuspendedBy | null;
  override: { grade: ChannelGrade | null; suspended: boolean | null; until: Date | null } | null;
}

export interface StandingAfterReview {
  grade: ChannelGrade;
  suspended: boolean;
  suspendedBy: SuspendedBy | null;
  /** The override had run out: the review clears it. */
  overrideExpired: boolean;
}

/**
 * What a review's decision does to a channel. A live override wins on whatever it fixed (grade,
 * suspension, or both); the review records its own view but does not apply it there. The review
 * lifts a suspension it made itself when the figures recover, and one made by an override that has
 * run out; a suspension an admin set by hand stays until a person lifts it.
 */
export function standingAfterReview(s: ChannelStanding, d: GradeDecision, at: Date): StandingAfterReview {
  const live = overrideInForce(s.override, at);
  const overrideExpired = s.override !== null && live === null;
  const grade = live?.grade ?? d.grade;
  return { grade, ...suspensionAfterReview(s, d, live, overrideExpired), overrideExpired };
}

/** The override if it is still in force at `at`, else null. */
function overrideInForce(override: ChannelStanding['override'], at: Date): ChannelStanding['override'] {
  return override !== null && (override.until === null || override.until > at) ? override : null;
}

function suspensionAfterReview(
  s: ChannelStanding,
  d: GradeDecision,
  live: ChannelStanding['override'],
  overrideExpired: boolean,
): Pick<StandingAfterReview, 'suspended' | 'suspendedBy'> {
  if (live && live.suspended !== null) return { suspended: s.suspended, suspendedBy: s.suspendedBy };
  if (d.suspend) return { suspended: true, suspendedBy: s.suspended ? s.suspendedBy : 'review' };
  const liftable = s.suspendedBy === 'review' || (s.suspendedBy === 'override' && overrideExpired);
  if (s.suspended && d.judged && liftable) return { suspended: false, suspendedBy: null };
  return { suspended: s.suspended, suspendedBy: s.suspendedBy };
}
