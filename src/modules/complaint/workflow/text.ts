/**
 * The words a complaint shows people (its details in the Web UI, its timers and activities in the
 * event history), in the policy's language. Pure; enum values stay English in the API.
 */
import { labelOf, type Labels, type Locale } from '../../../platform/domain/text';

export const COMPLAINT_STATE_LABELS: Labels<string> = {
  'zh-CN': {
    awaiting_response: '待首次响应',
    in_progress: '处理中',
    escalated: '已升级',
    closed: '已结案',
    erased: '已删除',
  },
  en: { awaiting_response: 'awaiting response', in_progress: 'in progress' },
};

const CATEGORY_LABELS: Labels<string> = {
  'zh-CN': {
    rate_dispute: '费率争议',
    service_attitude: '服务态度',
    disbursement_delay: '放款延迟',
    privacy: '隐私',
    harassment: '骚扰',
    other: '其他',
  },
  en: {},
};

const OUTCOME_LABELS: Labels<string> = {
  'zh-CN': {
    upheld: '投诉成立',
    partially_upheld: '部分成立',
    not_upheld: '不成立',
    withdrawn_by_customer: '客户撤诉',
    satisfied: '满意',
    neutral: '一般',
    dissatisfied: '不满意',
  },
  en: {},
};

/** A resolution or satisfaction result. */
export const outcomeLabel = (value: string, locale: Locale): string => labelOf(OUTCOME_LABELS, locale, value);

const PRIORITY_LABELS: Labels<string> = { 'zh-CN': { high: '高', normal: '普通', low: '低' }, en: {} };

const MARK_LABELS: Labels<string> = {
  'zh-CN': {
    first_response_reminder: '客诉首次响应提醒',
    first_response_late: '客诉首次响应到期',
    resolution_reminder: '客诉处理提醒',
    resolution_late: '客诉处理到期',
    retention: '客诉保留期届满，删除描述',
  },
  en: {
    first_response_reminder: 'complaint first response: reminder',
    first_response_late: 'complaint first response: due',
    resolution_reminder: 'complaint resolution: reminder',
    resolution_late: 'complaint resolution: due',
    retention: "end of the complaint's retention, then erasure of its description",
  },
};

const ACTIVITY_LABELS: Labels<string> = {
  'zh-CN': {
    projectComplaint: '更新客诉记录',
    recordComplaintEvent: '记录客诉事件',
    notifyAboutComplaint: '发送客诉通知',
    eraseComplaintData: '删除客诉个人信息',
  },
  en: {
    projectComplaint: 'update the complaint record',
    recordComplaintEvent: 'record a complaint event',
    notifyAboutComplaint: 'send a complaint notification',
    eraseComplaintData: "erase the complaint's personal data",
  },
};

export const complaintStateLabel = (state: string, locale: Locale): string =>
  labelOf(COMPLAINT_STATE_LABELS, locale, state);
export const categoryLabel = (category: string, locale: Locale): string => labelOf(CATEGORY_LABELS, locale, category);
export const priorityLabel = (priority: string, locale: Locale): string => labelOf(PRIORITY_LABELS, locale, priority);
/** A timer's summary: one of the complaint's marks, or `retention`. */
export const complaintTimerSummary = (mark: string, locale: Locale): string => labelOf(MARK_LABELS, locale, mark);
export const complaintActivitySummary = (activityType: string, locale: Locale): string | undefined =>
  ACTIVITY_LABELS[locale][activityType];
