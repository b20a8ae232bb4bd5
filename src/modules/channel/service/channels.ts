import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { appendAudit } from '../../../platform/audit/log';
import { countChannelCases, NO_CASES, type Period } from '../repository/counts';
import {
  clearOverride,
  findChannels,
  findChannelView,
  findGradings,
  findKnownChannelIds,
  findLastGrading,
  insertOverrideClearedGrading,
  insertOverrideGrading,
  lockChannelForClear,
  lockChannelForOverride,
  updateChannelOverride,
} from '../repository/channels';
import { findCaseOutcome, lenderExists, upsertLoanPerformance } from '../repository/loan-performance';
import { channelFigures } from '../rules';
import type { ChannelGrade } from '../../../platform/domain/types';
import type { ChannelReviewSummary } from '../workflow';
import type { CaseDeps } from '../../lead/service/cases';
import { TEMPORAL_CALL_MS, withDeadline } from '../../../platform/temporal/calls';

/** A channel partner reads only its own channel; managers and admins read any. */
function assertMayReadChannel(actor: Actor, channelId: string): void {
  if (actor.role === 'channel' && actor.channelId !== channelId) {
    throw new DomainError('not_your_channel', 'a channel partner may read only its own channel');
  }
}

async function channelView(deps: CaseDeps, channelId: string) {
  const row = await findChannelView(deps.db, channelId);
  if (!row) throw new DomainError('channel_not_found', `channel ${channelId} was not found`);
  return row;
}

export async function getChannel(deps: CaseDeps, actor: Actor, channelId: string) {
  assertMayReadChannel(actor, channelId);
  const channel = await channelView(deps, channelId);
  const last = await findLastGrading(deps.db, channelId);
  return { ...channel, lastGrading: last ?? null };
}

export interface FiguresQuery {
  from: Date;
  to: Date;
  period: Period;
}

/** The channel's figures in the period, in total and split by day, week or month (read in the policy's time zone). */
export async function channelFiguresOverTime(deps: CaseDeps, actor: Actor, channelId: string, q: FiguresQuery) {
  assertMayReadChannel(actor, channelId);
  const channel = await channelView(deps, channelId);
  const timeZone = deps.cfg.policy.contact.timeZone;
  const [total] = await countChannelCases(deps.db.manager, { from: q.from, to: q.to, channelId });
  const series = await countChannelCases(deps.db.manager, {
    from: q.from,
    to: q.to,
    channelId,
    period: q.period,
    timeZone,
  });
  return {
    channelId,
    grade: channel.grade,
    suspended: channel.suspended,
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    period: q.period,
    timeZone,
    totals: channelFigures(total ?? NO_CASES, channel.cacCny),
    series: series.map(({ channelId: _id, periodStart, ...counts }) => ({
      periodStart,
      ...channelFigures(counts, channel.cacCny),
    })),
  };
}

export async function channelGradings(deps: CaseDeps, actor: Actor, channelId: string, limit: number) {
  assertMayReadChannel(actor, channelId);
  await channelView(deps, channelId);
  const items = await findGradings(deps.db, channelId, limit);
  return { channelId, items };
}

/** Every channel's figures for a period beside its current standing: the managers' channel report. */
export async function channelsReport(deps: CaseDeps, q: { from: Date; to: Date }) {
  const channels = await findChannels(deps.db);
  const counts = new Map((await countChannelCases(deps.db.manager, q)).map((c) => [c.channelId, c]));
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    channels: channels.map((c) => {
      const { channelId: _id, ...n } = counts.get(c.id) ?? { channelId: c.id, ...NO_CASES };
      return {
        channelId: c.id,
        name: c.name,
        type: c.type,
        grade: c.grade,
        suspended: c.suspended,
        cacCny: c.cac_cny,
        figures: channelFigures(n, c.cac_cny),
      };
    }),
  };
}

export interface OverrideInput {
  grade?: ChannelGrade;
  suspended?: boolean;
  reason: string;
  until?: Date;
}

/**
 * A manager fixes a channel's grade, its suspension, or both, with a reason, until a date or
 * until cleared. It applies at once, is recorded as a grading and audited; reviews meanwhile
 * record their own view without applying it where the override holds.
 */
export async function overrideChannel(deps: CaseDeps, actor: Actor, channelId: string, o: OverrideInput) {
  const at = new Date();
  await deps.db.transaction(async (m) => {
    const ch = await lockChannelForOverride(m, channelId);
    if (!ch) throw new DomainError('channel_not_found', `channel ${channelId} was not found`);
    const grade = o.grade ?? ch.grade;
    const suspended = o.suspended ?? ch.suspended;
    const suspendedBy = o.suspended === undefined ? ch.suspended_by : o.suspended ? 'override' : null;
    await updateChannelOverride(m, {
      channelId,
      grade,
      suspended,
      suspendedBy,
      reason: o.reason,
      overrideGrade: o.grade ?? null,
      overrideSuspended: o.suspended ?? null,
      by: actor.sub,
      at,
      until: o.until ?? null,
    });
    await insertOverrideGrading(m, {
      reviewId: `override-${randomUUID()}`,
      channelId,
      at,
      gradeBefore: ch.grade,
      suspendedBefore: ch.suspended,
      gradeAfter: grade,
      suspendedAfter: suspended,
      reasons: [`override: ${o.reason}`],
      decidedBy: `${actor.role}:${actor.sub}`,
    });
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'channel.override',
      targetType: 'channel',
      targetId: channelId,
      details: {
        gradeBefore: ch.grade,
        gradeAfter: grade,
        suspendedBefore: ch.suspended,
        suspendedAfter: suspended,
        until: o.until?.toISOString() ?? null,
        reason: o.reason,
      },
    });
  });
  return getChannel(deps, actor, channelId);
}

/** Ends a manager's override: the grade and suspension stay as they are until the next review. */
export async function clearChannelOverride(deps: CaseDeps, actor: Actor, channelId: string, reason: string) {
  const at = new Date();
  await deps.db.transaction(async (m) => {
    const ch = await lockChannelForClear(m, channelId);
    if (!ch) throw new DomainError('channel_not_found', `channel ${channelId} was not found`);
    if (!ch.override_at) throw new DomainError('no_override', `channel ${channelId} has no override to clear`);
    await clearOverride(m, channelId);
    await insertOverrideClearedGrading(m, {
      reviewId: `override-cleared-${randomUUID()}`,
      channelId,
      at,
      gradeBefore: ch.grade,
      suspendedBefore: ch.suspended,
      reasons: [`override cleared: ${reason}`],
      decidedBy: `${actor.role}:${actor.sub}`,
    });
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'channel.override_cleared',
      targetType: 'channel',
      targetId: channelId,
      details: { reason },
    });
  });
  return getChannel(deps, actor, channelId);
}

/**
 * Runs a channel review now (the same workflow the daily schedule starts) and answers with its
 * result, or 202 when it has not finished within REVIEW_ANSWER_MS (it carries on).
 */
export async function runChannelReview(
  deps: CaseDeps,
  actor: Actor,
  channelIds?: string[],
): Promise<{ status: 200; body: ChannelReviewSummary } | { status: 202; body: { reviewId: string; running: true } }> {
  if (channelIds) {
    const known = await findKnownChannelIds(deps.db, channelIds);
    const unknown = channelIds.filter((id) => !known.some((k) => k.id === id));
    if (unknown.length > 0)
      throw new DomainError('unknown_channel', `no such channel: ${unknown.slice(0, 5).join(', ')}`);
  }
  const workflowId = `channel-review-on-request-${randomUUID()}`;
  let handle: WorkflowHandle;
  try {
    handle = await withDeadline(deps.temporal, TEMPORAL_CALL_MS, () =>
      deps.temporal.workflow.start('channelReview', {
        workflowId,
        taskQueue: deps.cfg.TEMPORAL_TASK_QUEUE,
        args: [{ channelIds }],
        staticSummary: `Channel review requested by ${actor.role} ${actor.sub}${channelIds ? ` for ${channelIds.length} channel(s)` : ''}`,
        workflowExecutionTimeout: '10 minutes',
      }),
    );
  } catch {
    throw new DomainError(
      'temporal_unavailable',
      'the workflow engine is unreachable; no review was started, retry later',
      { retryable: true },
    );
  }
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'channel.review_requested',
    targetType: 'channel_review',
    targetId: workflowId,
    details: { channelIds: channelIds ?? 'all' },
  });
  try {
    return { status: 200, body: await withDeadline(deps.temporal, REVIEW_ANSWER_MS, () => handle.result()) };
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      throw new DomainError(
        'review_failed',
        'the review stopped part-way (the gradings it applied stay); retry later',
        { retryable: true },
      );
    }
    // Not finished in time (or Temporal stopped answering): the review carries on by itself.
    return { status: 202, body: { reviewId: workflowId, running: true } };
  }
}

/** How long a manager's request waits for the review it started before answering 202. */
const REVIEW_ANSWER_MS = 60_000;

export type LoanStatus = 'performing' | 'overdue' | 'bad' | 'repaid';

/**
 * A lender's report on a loan it made on one of our cases (the bad-loan rate of the channel
 * figures comes from these). Only an approved case has a loan; the latest report wins.
 */
export async function recordLoanPerformance(
  deps: CaseDeps,
  actor: Actor,
  caseId: string,
  r: { lenderId: string; status: LoanStatus; asOf: string },
) {
  await deps.db.transaction(async (m) => {
    const c = await findCaseOutcome(m, caseId);
    if (!c) throw new DomainError('case_not_found', `case ${caseId} was not found`);
    if (c.outcome !== 'approved')
      throw new DomainError('no_loan', 'only a case a lender approved has a loan to report on');
    if (!(await lenderExists(m, r.lenderId)))
      throw new DomainError('unknown_lender', `lender ${r.lenderId} does not exist`);
    await upsertLoanPerformance(m, { caseId, ...r, reportedBy: `${actor.role}:${actor.sub}` });
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'loan.performance_reported',
      targetType: 'lead_case',
      targetId: caseId,
      details: r,
    });
  });
  return { caseId, ...r };
}
