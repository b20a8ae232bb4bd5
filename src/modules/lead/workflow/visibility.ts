/**
 * What a lead case shows of itself: its search attributes, the details managers read in the Web UI
 * and its Postgres projection. Pure functions of the state and the time they are given.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CaseProjectionInput } from '../activities/contract';
import { CONSENT_PURPOSES, isOpenStage, type ConsentState, type SlaState } from '../../../platform/domain/types';
import {
  AmountCnyKey,
  BrokerIdKey,
  ChannelIdKey,
  ConsentStateKey,
  LeadStageKey,
  RiskTierKey,
  CloseReasonKey,
  LegalHoldKey,
  RetentionDueAtKey,
  SlaDueAtKey,
  SlaStateKey,
  VulnerableKey,
} from '../../../platform/temporal/search-attributes';
import {
  caseSummary,
  closeReasonLabel,
  CONSENT_LABELS,
  formatDue,
  formatSpan,
  provinceName,
  STAGE_LABELS,
  type TextSettings,
} from '../rules/case-text';
import type { Deadline, LeadCaseState } from '../messages';

/** The case's consent as one word; a withdrawal of credit_assessment consent outranks everything. */
export function consentStateOf(state: LeadCaseState, coreWithdrawn: boolean): ConsentState {
  const granted = CONSENT_PURPOSES.filter((p) => state.consent[p].granted);
  if (coreWithdrawn || state.consentState === 'withdrawn') return 'withdrawn';
  if (granted.length === 0) return 'none';
  return granted.length === CONSENT_PURPOSES.length ? 'granted' : 'partial';
}

/** Where the case stands against its deadline: reminded means due soon, escalated (at the due time by default) late. */
export function slaStateOf(deadline: Deadline | null): SlaState | null {
  if (!deadline) return null;
  if (deadline.escalated) return 'overdue';
  return deadline.reminded ? 'due_soon' : 'on_time';
}

/** The deadline as a person reads it: when it falls, or how late it is (at `nowMs`, when the details are written). */
function dueText(d: Deadline | null, s: TextSettings, nowMs: number): string {
  if (!d) return '';
  const due = formatDue(d.dueAt, s);
  const lateMs = nowMs - Date.parse(d.dueAt);
  const zh = s.locale === 'zh-CN';
  if (lateMs >= 0 || d.escalated) {
    const by =
      lateMs >= 60_000 ? (zh ? ` ${formatSpan(lateMs, s.locale)}` : ` by ${formatSpan(lateMs, s.locale)}`) : '';
    return zh ? `，已超时${by}（期限 ${due}）` : ` (overdue${by}; was due ${due})`;
  }
  const working = d.workingMs !== undefined ? (zh ? '，按工作时间计' : ', counting working hours') : '';
  return zh ? `（期限 ${due}${working}）` : ` (due ${due}${working})`;
}

/** Who or what the case is waiting for, in a manager's words and language. */
export function waitingFor(state: LeadCaseState, s: TextSettings, nowMs: number): string {
  const until = dueText(state.deadline, s, nowMs);
  return s.locale === 'zh-CN' ? waitingForZh(state, until, s) : waitingForEn(state, until, s);
}

function waitingForZh(state: LeadCaseState, until: string, s: TextSettings): string {
  switch (state.stage) {
    case 'awaiting_consent':
      return `客户授权征信评估${until}`;
    case 'prescreening':
      return '自动初审';
    case 'manual_review':
      return `风控人员审核${until}${state.reviewEscalated ? '，已上报经理' : ''}`;
    case 'matching':
      return '产品匹配与经纪人分配';
    case 'follow_up': {
      const kind = state.deadline?.kind === 'first_contact' ? '首次联系' : '跟进';
      return state.brokerId ? `经纪人 ${state.brokerId} ${kind}${until}` : `经纪人从公共池领取${until}`;
    }
    case 'submitted':
      return `机构对产品 ${state.selectedProductId} 的审批结果`;
    case 'erased':
      return '无：个人信息已删除';
    default:
      return retentionText(state, s);
  }
}

function waitingForEn(state: LeadCaseState, until: string, s: TextSettings): string {
  switch (state.stage) {
    case 'awaiting_consent':
      return `the customer's credit-assessment consent${until}`;
    case 'prescreening':
      return 'the automated pre-screen';
    case 'manual_review':
      return `a risk officer's review${until}${state.reviewEscalated ? ', escalated' : ''}`;
    case 'matching':
      return 'product matching and broker assignment';
    case 'follow_up': {
      const kind = state.deadline?.kind === 'first_contact' ? 'first contact' : 'follow-up';
      return state.brokerId
        ? `${kind} by broker ${state.brokerId}${until}`
        : `a broker to pick the case from the shared pool${until}`;
    }
    case 'submitted':
      return `the lender's decision on product ${state.selectedProductId}`;
    case 'erased':
      return 'nothing: personal data erased';
    default:
      return retentionText(state, s);
  }
}

function retentionText(state: LeadCaseState, s: TextSettings): string {
  const zh = s.locale === 'zh-CN';
  if (state.legalHold)
    return zh ? '法律保全解除（保留期暂停计算）' : 'release of the legal hold (retention clock paused)';
  const due = state.retentionDueAt ? formatDue(state.retentionDueAt, s) : '';
  return zh ? `保留期届满（${due}），随后删除个人信息` : `the end of retention on ${due}, then erasure`;
}

/** The search attributes managers filter on. */
export function searchAttributesOf(state: LeadCaseState): SearchAttributeUpdatePair[] {
  const f = state.facts;
  return [
    { key: LeadStageKey, value: state.stage },
    { key: RiskTierKey, value: state.tier ?? null },
    { key: ChannelIdKey, value: f.channelId },
    { key: BrokerIdKey, value: state.brokerId ?? null },
    { key: ConsentStateKey, value: state.consentState },
    { key: SlaDueAtKey, value: state.deadline ? new Date(state.deadline.dueAt) : null },
    { key: SlaStateKey, value: slaStateOf(state.deadline) },
    { key: CloseReasonKey, value: state.closeReason },
    { key: LegalHoldKey, value: state.legalHold !== null },
    { key: RetentionDueAtKey, value: state.retentionDueAt ? new Date(state.retentionDueAt) : null },
    { key: VulnerableKey, value: f.vulnerable },
    { key: AmountCnyKey, value: f.amountCny },
  ];
}

/**
 * The case's current details, which managers read in the Web UI's User Metadata tab, as of
 * `nowMs`. A run continued as new has no static summary (continueAsNew cannot set one): its
 * details carry it.
 */
export function caseDetails(state: LeadCaseState, continuedAsNew: boolean, s: TextSettings, nowMs: number): string {
  const f = state.facts;
  const zh = s.locale === 'zh-CN';
  const stage = STAGE_LABELS[s.locale][state.stage];
  const reason = state.closeReason
    ? zh
      ? `（${closeReasonLabel(state.closeReason, s.locale)}）`
      : ` (${closeReasonLabel(state.closeReason, s.locale)})`
    : '';
  const sla = slaStateOf(state.deadline);
  const yes = (b: boolean) => (b ? (zh ? '是' : 'yes') : zh ? '否' : 'no');
  const lines = zh
    ? [
        `**阶段：** ${stage}${reason}`,
        `**等待：** ${waitingFor(state, s, nowMs)}`,
        ...(sla ? [`**时限：** ${SLA_LABELS['zh-CN'][sla]}`] : []),
        `**风险等级：** ${state.tier ?? '未评分'} · **授权：** ${CONSENT_LABELS['zh-CN'][state.consentState]} · **特殊人群：** ${yes(f.vulnerable)} · **本地：** ${yes(f.local)}`,
        `**渠道：** ${f.channelId} · **省份：** ${provinceName(f.provinceCode)} · **经纪人：** ${state.brokerId ?? '无'}`,
      ]
    : [
        `**Stage:** ${stage}${reason}`,
        `**Waiting for:** ${waitingFor(state, s, nowMs)}`,
        ...(sla ? [`**SLA:** ${SLA_LABELS.en[sla]}`] : []),
        `**Tier:** ${state.tier ?? 'not yet scored'} · **Consent:** ${state.consentState} · **Vulnerable:** ${yes(f.vulnerable)} · **Local:** ${yes(f.local)}`,
        `**Channel:** ${f.channelId} · **Province:** ${provinceName(f.provinceCode)} · **Broker:** ${state.brokerId ?? 'none'}`,
      ];
  return [
    ...(continuedAsNew ? [`${caseSummary(f, s)}${zh ? '（续自早前运行）' : ' (continued from an earlier run)'}`] : []),
    ...lines,
  ].join('\n');
}

const SLA_LABELS: Record<TextSettings['locale'], Record<SlaState, string>> = {
  'zh-CN': { on_time: '正常', due_soon: '即将到期', overdue: '已超时' },
  en: { on_time: 'on time', due_soon: 'due soon', overdue: 'overdue' },
};

/** The case's row in Postgres as of `at`, under the state's current `seq`. */
export function projectionOf(state: LeadCaseState, at: Date): CaseProjectionInput {
  return {
    caseId: state.caseId,
    seq: state.seq,
    at: at.toISOString(),
    projection: {
      stage: state.stage,
      isOpen: isOpenStage(state.stage),
      riskTier: state.tier,
      brokerId: state.brokerId,
      consentState: state.consentState,
      slaDueAt: state.deadline?.dueAt ?? null,
      slaKind: state.deadline?.kind ?? null,
      doNotContact: state.doNotContact,
      selectedProductId: state.selectedProductId,
      outcome: state.outcome,
      closedAt: state.closedAt,
      retentionDueAt: state.retentionDueAt,
      legalHold: state.legalHold !== null,
    },
  };
}

/**
 * Whether the case is still exactly what its intake projected (awaiting consent, nothing granted,
 * no broker, no hold, the intake's deadline object itself, nothing projected since): then there is
 * nothing to write. `intakeDeadline` is null for a case its intake did not project.
 */
export function stillAsProjectedAtIntake(
  state: LeadCaseState,
  intakeDeadline: Deadline | null,
  coreWithdrawn: boolean,
): boolean {
  return (
    intakeDeadline !== null &&
    state.seq === 1 &&
    state.stage === 'awaiting_consent' &&
    consentStateOf(state, coreWithdrawn) === 'none' &&
    state.brokerId === null &&
    !state.doNotContact &&
    state.legalHold === null &&
    state.deadline === intakeDeadline
  );
}
