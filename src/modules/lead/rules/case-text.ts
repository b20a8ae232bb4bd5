/**
 * The words a case shows people (its summary and current details in the Web UI), in the policy's
 * language and time zone. Pure: the time is always passed in. Enum values stay English in the API;
 * these are their labels.
 */
import type { ConsentState, LeadStage } from '../../../platform/domain/types';
import {
  durationLabel,
  labelOf,
  provinceName,
  type Labels,
  type Locale,
  type TextSettings,
} from '../../../platform/domain/text';

export { formatDue, formatSpan, provinceName, type Locale, type TextSettings } from '../../../platform/domain/text';

export const STAGE_LABELS: Labels<LeadStage> = {
  'zh-CN': {
    awaiting_consent: '待同意',
    prescreening: '初审中',
    manual_review: '人工审核',
    matching: '匹配中',
    follow_up: '跟进中',
    submitted: '已提交',
    closed: '已结案',
    declined: '已拒绝',
    withdrawn: '已撤回',
    erased: '已删除',
  },
  en: {
    awaiting_consent: 'awaiting consent',
    prescreening: 'pre-screening',
    manual_review: 'manual review',
    matching: 'matching',
    follow_up: 'follow-up',
    submitted: 'submitted',
    closed: 'closed',
    declined: 'declined',
    withdrawn: 'withdrawn',
    erased: 'erased',
  },
};

export const CONSENT_LABELS: Labels<ConsentState> = {
  'zh-CN': { none: '未授权', partial: '部分授权', granted: '已授权', withdrawn: '已撤回' },
  en: { none: 'none', partial: 'partial', granted: 'granted', withdrawn: 'withdrawn' },
};

const LOAN_PURPOSE_LABELS: Labels<string> = {
  'zh-CN': {
    consumption: '消费',
    business: '经营',
    education: '教育',
    medical: '医疗',
    home_improvement: '装修',
    car: '购车',
    other: '其他',
  },
  en: {},
};

const CLOSE_REASON_LABELS: Labels<string> = {
  'zh-CN': {
    approved: '放款成功',
    lender_declined: '机构拒绝',
    customer_declined: '客户放弃',
    lost: '未成交',
    no_eligible_product: '无可匹配产品',
    prescreen_declined: '初审拒绝',
    review_declined: '人工审核拒绝',
    consent_timeout: '未在期限内同意',
    consent_withdrawn: '客户撤回同意',
  },
  en: {},
};

export const loanPurposeLabel = (purpose: string, locale: Locale): string =>
  labelOf(LOAN_PURPOSE_LABELS, locale, purpose);

export function closeReasonLabel(reason: string, locale: Locale): string {
  if (reason.startsWith('system_error:')) return locale === 'zh-CN' ? '系统错误' : reason;
  return labelOf(CLOSE_REASON_LABELS, locale, reason);
}

/** The de-identified facts a case's summary names. */
export interface SummaryFacts {
  channelId: string;
  amountCny: number;
  termMonths: number;
  loanPurpose: string;
  provinceCode: string;
}

/** The case's one-line summary (the workflow's static summary, and the first line of a continued run's details). */
export function caseSummary(f: SummaryFacts, s: TextSettings): string {
  return s.locale === 'zh-CN'
    ? `线索案件 · ${f.channelId} · ${f.amountCny} 元 / ${f.termMonths} 个月 · ${loanPurposeLabel(f.loanPurpose, s.locale)} · ${provinceName(f.provinceCode)}`
    : `Lead case · ${f.channelId} · ${f.amountCny} CNY over ${f.termMonths} months · ${loanPurposeLabel(f.loanPurpose, s.locale)} · ${provinceName(f.provinceCode)}`;
}

const GRADE_LABELS: Labels<string> = { 'zh-CN': { premium: '优质', general: '普通', risk: '风险' }, en: {} };

/** The facts that never change over a case's life (the workflow's static details). */
export function caseStaticDetails(
  f: SummaryFacts & { ageBand: string; local: boolean; vulnerable: boolean; channelGrade: string },
  s: TextSettings,
): string {
  const grade = labelOf(GRADE_LABELS, s.locale, f.channelGrade);
  return s.locale === 'zh-CN'
    ? `年龄段 ${f.ageBand} · ${provinceName(f.provinceCode)} · ${f.local ? '本地' : '非本地'}${f.vulnerable ? ' · 特殊人群（不做营销，须人工审核）' : ''} · 渠道等级 ${grade}`
    : `Age band ${f.ageBand} · ${provinceName(f.provinceCode)} · ${f.local ? 'local' : 'non-local'}${f.vulnerable ? ' · vulnerable (no marketing, review path B)' : ''} · channel grade ${grade}`;
}

const DEADLINE_LABELS: Labels<string> = {
  'zh-CN': { consent: '授权', review: '人工审核', first_contact: '首次联系', follow_up: '跟进' },
  en: { consent: 'consent', review: 'review', first_contact: 'first contact', follow_up: 'follow-up' },
};

const MARK_LABELS: Labels<string> = {
  'zh-CN': { due: '到期', remind: '提醒经纪人', escalate: '到期上报经理', reassign: '改派其他经纪人' },
  en: { due: 'due', remind: 'remind the broker', escalate: 'due: tell the managers', reassign: 'reassign the case' },
};

/** A timer's summary in the event history: "首次联系期限（30 分钟）：提醒经纪人". */
export function deadlineTimerSummary(kind: string, spanMs: number, mark: string, locale: Locale): string {
  const deadline = labelOf(DEADLINE_LABELS, locale, kind);
  const what = labelOf(MARK_LABELS, locale, mark);
  return locale === 'zh-CN'
    ? `${deadline}期限（${durationLabel(spanMs, locale)}）：${what}`
    : `${deadline} deadline (${durationLabel(spanMs, locale)}): ${what}`;
}

export const retentionTimerSummary = (locale: Locale): string =>
  locale === 'zh-CN' ? '保留期届满，删除个人信息' : 'end of retention, then erasure';

const ACTIVITY_SUMMARIES: Labels<string> = {
  'zh-CN': {
    recordConsentEvent: '记录授权',
    recordCostAcknowledgement: '记录费用告知确认',
    projectCase: '更新案件记录',
    prescreenLead: '贷前初审',
    matchLead: '产品匹配',
    assignBroker: '分配经纪人',
    recordDecision: '记录决定',
    recordContactAttempt: '记录联系',
    notify: '发送通知',
    eraseLeadData: '删除个人信息',
  },
  en: {
    recordConsentEvent: 'record consent',
    recordCostAcknowledgement: 'record the cost acknowledgement',
    projectCase: 'update the case record',
    prescreenLead: 'pre-screen',
    matchLead: 'match products',
    assignBroker: 'assign a broker',
    recordDecision: 'record the decision',
    recordContactAttempt: 'record the contact',
    notify: 'send a notification',
    eraseLeadData: 'erase personal data',
  },
};

/** An activity's summary in the event history, or undefined for one that has none. */
export const activitySummary = (activityType: string, locale: Locale): string | undefined =>
  ACTIVITY_SUMMARIES[locale][activityType];
