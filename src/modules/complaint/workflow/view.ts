/**
 * What the complaint shows: its search attributes, its current details in the Web UI, its Postgres
 * projection and the payload of its notifications. Pure functions of the state.
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { ComplaintProjection } from '../contract';
import {
  BrokerIdKey,
  ChannelIdKey,
  ComplaintPriorityKey,
  ComplaintStateKey,
  CloseReasonKey,
  LegalHoldKey,
  RetentionDueAtKey,
  SlaDueAtKey,
  SlaStateKey,
} from '../../../platform/temporal/search-attributes';
import type { SlaState } from '../../../platform/domain/types';
import { formatDue, type TextSettings } from '../../../platform/domain/text';
import { categoryLabel, complaintStateLabel, outcomeLabel, priorityLabel } from './text';
import type { ComplaintCaseState } from '../messages';
import { isClosed } from './state';

/** The next due time while open: the first response until it comes, then the resolution. */
export function nextDueAt(complaint: ComplaintCaseState): string | null {
  if (isClosed(complaint)) return null;
  return complaint.firstRespondedAt ? complaint.resolutionDueAt : complaint.firstResponseDueAt;
}

/** Who or what the complaint is waiting for, in a line, in the settings' language and time zone. */
export function waitingFor(complaint: ComplaintCaseState, s: TextSettings): string {
  const dueAt = nextDueAt(complaint);
  const due = dueAt ? formatDue(dueAt, s) : '';
  const { brokerId } = complaint.facts;
  const teams = complaint.escalatedTo?.teams.join(', ');
  if (s.locale === 'zh-CN') {
    const handler = brokerId ? `经纪人 ${brokerId} 或合规` : '合规';
    switch (complaint.state) {
      case 'awaiting_response':
        return `${handler}首次响应（期限 ${due}）`;
      case 'in_progress':
        return `处理结果与客户满意度回访（期限 ${due}）`;
      case 'escalated':
        return `跨部门小组（${teams}）处理（期限 ${due}）`;
      case 'closed':
        return afterClose(complaint, s);
      default:
        return '无：描述已删除';
    }
  }
  const handler = brokerId ? `broker ${brokerId} or compliance` : 'compliance';
  switch (complaint.state) {
    case 'awaiting_response':
      return `a first response by ${handler} (due ${due})`;
    case 'in_progress':
      return `a resolution and the customer's satisfaction result (due ${due})`;
    case 'escalated':
      return `the cross-team group (${teams}) to resolve it (due ${due})`;
    case 'closed':
      return afterClose(complaint, s);
    default:
      return 'nothing: description erased';
  }
}

function afterClose({ legalHold, retentionDueAt }: ComplaintCaseState, s: TextSettings): string {
  const zh = s.locale === 'zh-CN';
  if (legalHold && retentionDueAt) {
    const placed = formatDue(legalHold.placedAt, s);
    return zh
      ? `法律保全解除（${placed} 起）；其后保留期继续，届满删除描述`
      : `the release of its legal hold (placed ${placed}); retention then runs on, and its description is erased`;
  }
  if (!retentionDueAt) return zh ? '无：已结案' : 'nothing: closed';
  const due = formatDue(retentionDueAt, s);
  return zh ? `保留期届满（${due}），随后删除描述` : `the end of retention on ${due}, then erasure of its description`;
}

/** The first line of the details: the state, how it ended, and which clocks ran out. */
export function stateSummary(complaint: ComplaintCaseState, s: TextSettings): string {
  const { state, resolution, satisfaction, lateFirstResponse, lateResolution } = complaint;
  const zh = s.locale === 'zh-CN';
  const lateParts = zh
    ? [lateFirstResponse && '首次响应超时', lateResolution && '处理超时']
    : [lateFirstResponse && 'first response late', lateResolution && 'resolution late'];
  const late = lateParts.filter(Boolean).join(zh ? '，' : ', ');
  const label = complaintStateLabel(state, s.locale);
  if (zh) {
    const ended = satisfaction
      ? `（${outcomeLabel(resolution ?? '', s.locale)}，客户${outcomeLabel(satisfaction, s.locale)}）`
      : '';
    return `**状态：** ${label}${ended}${late ? ` · **超时：** ${late}` : ''}`;
  }
  return `**State:** ${label}${satisfaction ? ` (${resolution}, customer ${satisfaction})` : ''}${late ? ` · **Late:** ${late}` : ''}`;
}

/** The Web UI's current details: codes, IDs and times only. */
export function currentDetails(complaint: ComplaintCaseState, s: TextSettings): string {
  const { facts, legalHold } = complaint;
  const zh = s.locale === 'zh-CN';
  const raisedBy = facts.priorityRaisedBy.length
    ? zh
      ? `（因 ${facts.priorityRaisedBy.join('、')} 提高）`
      : ` (raised by ${facts.priorityRaisedBy.join(', ')})`
    : '';
  const priority = priorityLabel(facts.priority, s.locale);
  const category = categoryLabel(facts.category, s.locale);
  const sla = slaStateOf(complaint);
  const lines = zh
    ? [
        stateSummary(complaint, s),
        `**等待：** ${waitingFor(complaint, s)}`,
        ...(sla ? [`**时限：** ${{ on_time: '正常', due_soon: '即将到期', overdue: '已超时' }[sla]}`] : []),
        `**优先级：** ${priority}${raisedBy} · **类别：** ${category} · **重开次数：** ${complaint.timesReopened}`,
        `**案件：** ${facts.caseId ?? '无'} · **渠道：** ${facts.channelId ?? '无'} · **经纪人：** ${facts.brokerId ?? '无'}` +
          ` · **禁止联系：** ${{ not_needed: '无需', applied: '已设置', case_finished: '案件已结束' }[complaint.doNotContact]}`,
        ...(legalHold ? [`**法律保全：** ${formatDue(legalHold.placedAt, s)} 起，由 ${legalHold.by}`] : []),
      ]
    : [
        stateSummary(complaint, s),
        `**Waiting for:** ${waitingFor(complaint, s)}`,
        ...(sla ? [`**SLA:** ${sla.replace('_', ' ')}`] : []),
        `**Priority:** ${priority}${raisedBy} · **Category:** ${category} · **Reopened:** ${complaint.timesReopened}`,
        `**Case:** ${facts.caseId ?? 'none'} · **Channel:** ${facts.channelId ?? 'none'} · **Broker:** ${facts.brokerId ?? 'none'}` +
          ` · **Do-not-contact:** ${complaint.doNotContact}`,
        ...(legalHold ? [`**Legal hold:** since ${formatDue(legalHold.placedAt, s)}, by ${legalHold.by}`] : []),
      ];
  return lines.join('\n');
}

/** Where the complaint stands against its running clocks: late once either is, due soon once either reminded. */
export function slaStateOf(complaint: ComplaintCaseState): SlaState | null {
  if (isClosed(complaint)) return null;
  const running = [complaint.firstResponseClock, complaint.resolutionClock].filter((c) => c !== null);
  if (running.length === 0) return null;
  if (running.some((c) => c.escalated)) return 'overdue';
  return running.some((c) => c.reminded) ? 'due_soon' : 'on_time';
}

/** What managers filter on in the Web UI; `SlaDueAt` and `SlaState` are cleared once nothing is due. */
export function searchAttributes(complaint: ComplaintCaseState): SearchAttributeUpdatePair[] {
  const due = nextDueAt(complaint);
  return [
    { key: ComplaintStateKey, value: complaint.state },
    { key: ComplaintPriorityKey, value: complaint.facts.priority },
    { key: SlaDueAtKey, value: due ? new Date(due) : null },
    { key: SlaStateKey, value: slaStateOf(complaint) },
    { key: CloseReasonKey, value: isClosed(complaint) ? complaint.resolution : null },
    { key: LegalHoldKey, value: complaint.legalHold !== null },
    { key: RetentionDueAtKey, value: complaint.retentionDueAt ? new Date(complaint.retentionDueAt) : null },
    { key: ChannelIdKey, value: complaint.facts.channelId },
    { key: BrokerIdKey, value: complaint.facts.brokerId },
  ];
}

/** The row that lists and reports read from Postgres. */
export function projection(complaint: ComplaintCaseState): ComplaintProjection {
  return {
    state: complaint.state,
    firstResponseDueAt: complaint.firstResponseDueAt,
    firstRespondedAt: complaint.firstRespondedAt,
    lateFirstResponse: complaint.lateFirstResponse,
    resolutionDueAt: complaint.resolutionDueAt,
    lateResolution: complaint.lateResolution,
    nextDueAt: nextDueAt(complaint),
    escalatedTeams: complaint.escalatedTo?.teams ?? null,
    escalatedAt: complaint.escalatedTo?.at ?? null,
    timesReopened: complaint.timesReopened,
    doNotContact: complaint.doNotContact,
    resolution: complaint.resolution,
    satisfaction: complaint.satisfaction,
    closedAt: complaint.closedAt,
    retentionDueAt: complaint.retentionDueAt,
    legalHold: complaint.legalHold !== null,
  };
}

/** What every notification about the complaint carries, plus what its kind adds. */
export function notificationPayload(
  complaint: ComplaintCaseState,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const { complaintId, caseId, category, priority } = complaint.facts;
  return { complaintId, caseId, category, priority, state: complaint.state, dueAt: nextDueAt(complaint), ...extra };
}
