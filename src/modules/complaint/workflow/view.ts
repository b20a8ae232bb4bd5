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
  SlaDueAtKey,
} from '../../../platform/temporal/search-attributes';
import type { ComplaintCaseState } from '../messages';
import { isClosed } from './state';

/** The next due time while open: the first response until it comes, then the resolution. */
export function nextDueAt(complaint: ComplaintCaseState): string | null {
  if (isClosed(complaint)) return null;
  return complaint.firstRespondedAt ? complaint.resolutionDueAt : complaint.firstResponseDueAt;
}

/** Who or what the complaint is waiting for, in a line. */
export function waitingFor(complaint: ComplaintCaseState): string {
  const due = nextDueAt(complaint);
  const { brokerId } = complaint.facts;
  const handler = brokerId ? `broker ${brokerId} or compliance` : 'compliance';
  switch (complaint.state) {
    case 'awaiting_response':
      return `a first response by ${handler} (due ${due})`;
    case 'in_progress':
      return `a resolution and the customer's satisfaction result (due ${due})`;
    case 'escalated':
      return `the cross-team group (${complaint.escalatedTo?.teams.join(', ')}) to resolve it (due ${due})`;
    case 'closed':
      return afterClose(complaint);
    default:
      return 'nothing: description erased';
  }
}

function afterClose({ legalHold, retentionDueAt }: ComplaintCaseState): string {
  if (legalHold && retentionDueAt) {
    return `the release of its legal hold (placed ${legalHold.placedAt}); retention then runs on, and its description is erased`;
  }
  return retentionDueAt
    ? `the end of retention on ${retentionDueAt}, then erasure of its description`
    : 'nothing: closed';
}

/** The first line of the details: the state, how it ended, and which clocks ran out. */
export function stateSummary(complaint: ComplaintCaseState): string {
  const { state, resolution, satisfaction, lateFirstResponse, lateResolution } = complaint;
  const late = [lateFirstResponse && 'first response late', lateResolution && 'resolution late']
    .filter(Boolean)
    .join(', ');
  return `**State:** ${state}${satisfaction ? ` (${resolution}, customer ${satisfaction})` : ''}${late ? ` · **Late:** ${late}` : ''}`;
}

/** The Web UI's current details: codes, IDs and times only. */
export function currentDetails(complaint: ComplaintCaseState): string {
  const { facts, legalHold } = complaint;
  const raisedBy = facts.priorityRaisedBy.length ? ` (raised by ${facts.priorityRaisedBy.join(', ')})` : '';
  return [
    stateSummary(complaint),
    `**Waiting for:** ${waitingFor(complaint)}`,
    `**Priority:** ${facts.priority}${raisedBy} · **Category:** ${facts.category} · **Reopened:** ${complaint.timesReopened}`,
    `**Case:** ${facts.caseId ?? 'none'} · **Channel:** ${facts.channelId ?? 'none'} · **Broker:** ${facts.brokerId ?? 'none'}` +
      ` · **Do-not-contact:** ${complaint.doNotContact}`,
    ...(legalHold ? [`**Legal hold:** since ${legalHold.placedAt}, by ${legalHold.by}`] : []),
  ].join('\n');
}

/** What managers filter on in the Web UI; `SlaDueAt` is cleared once nothing is due. */
export function searchAttributes(complaint: ComplaintCaseState): SearchAttributeUpdatePair[] {
  const due = nextDueAt(complaint);
  return [
    { key: ComplaintStateKey, value: complaint.state },
    { key: ComplaintPriorityKey, value: complaint.facts.priority },
    { key: SlaDueAtKey, value: due ? new Date(due) : null },
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
