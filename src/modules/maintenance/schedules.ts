import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import { msToNumber, type Duration } from '@temporalio/common';

export interface ScheduleDefinition {
  scheduleId: string;
  workflowType:
    | 'followUpDigest'
    | 'retentionSweep'
    | 'deadlineAudit'
    | 'channelReview'
    | 'postLoanCheckIns'
    | 'orphanedIntakeSweep'
    | 'auditCheckpoint';
  every: Duration;
  note: string;
}

/** The timed work nobody asks for. IDs are stable so creation is idempotent. */
export const SCHEDULES: ScheduleDefinition[] = [
  {
    scheduleId: 'follow-up-digest',
    workflowType: 'followUpDigest',
    every: '1 hour',
    note: 'Hourly digest of open cases past their deadline, for managers',
  },
  {
    scheduleId: 'retention-sweep',
    workflowType: 'retentionSweep',
    every: '1 day',
    note: 'Daily erasure of anything past retention that still holds personal data',
  },
  {
    scheduleId: 'channel-review',
    workflowType: 'channelReview',
    every: '1 day',
    note: 'Daily channel review: grade each channel on its figures, suspend past the line',
  },
  {
    scheduleId: 'deadline-audit',
    workflowType: 'deadlineAudit',
    every: '1 day',
    note: 'Daily report of open cases without a pending deadline',
  },
  {
    scheduleId: 'orphaned-intake-sweep',
    workflowType: 'orphanedIntakeSweep',
    every: '1 hour',
    note: 'Hourly: ends lead workflows whose intake rolled back and left no case',
  },
  {
    scheduleId: 'post-loan-check-ins',
    workflowType: 'postLoanCheckIns',
    every: '1 day',
    note: 'Daily planning of post-loan check-in calls that have fallen due, for their brokers',
  },
  {
    scheduleId: 'audit-checkpoint',
    workflowType: 'auditCheckpoint',
    every: '5 minutes',
    note: 'Every 5 minutes: a signed checkpoint of the audit chain head, kept in the audit anchor workflow outside Postgres',
  },
];

/**
 * A run may take at most its interval less five minutes (half a short interval). Overlapping runs are skipped, so a run
 * stuck for ever (no worker polls its task queue any more) would otherwise stop all the later ones.
 */
const runTimeoutMs = (s: ScheduleDefinition) => Math.max(msToNumber(s.every) - 5 * 60_000, msToNumber(s.every) / 2);

function optionsFor(s: ScheduleDefinition, taskQueue: string): Omit<ScheduleOptions, 'scheduleId'> {
  return {
    spec: { intervals: [{ every: s.every }] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
    action: {
      type: 'startWorkflow',
      workflowType: s.workflowType,
      taskQueue,
      args: [],
      workflowId: `schedule-${s.scheduleId}`,
      staticSummary: s.note,
      workflowExecutionTimeout: runTimeoutMs(s),
    },
    state: { note: s.note },
  };
}

/** Whether an existing schedule already does what its definition says, on this task queue. */
function upToDate(d: ScheduleDescription, s: ScheduleDefinition, taskQueue: string): boolean {
  const action = d.action;
  return (
    action.type === 'startWorkflow' &&
    action.workflowType === s.workflowType &&
    action.taskQueue === taskQueue &&
    action.workflowExecutionTimeout !== undefined &&
    msToNumber(action.workflowExecutionTimeout) === runTimeoutMs(s) &&
    d.spec.intervals?.length === 1 &&
    d.spec.intervals[0].every === msToNumber(s.every) &&
    (d.spec.calendars ?? []).length === 0 &&
    d.state.note === s.note
  );
}

/**
 * Creates the schedule, or brings an existing one in line with its definition: a new task queue
 * (the schedules follow the task queue of the worker that last started), a renamed workflow, a
 * changed interval. A paused schedule stays paused.
 */
export async function ensureSchedule(
  client: Client,
  s: ScheduleDefinition,
  taskQueue: string,
): Promise<'created' | 'updated' | 'unchanged'> {
  const options = optionsFor(s, taskQueue);
  try {
    await client.schedule.create({ scheduleId: s.scheduleId, ...options });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(s.scheduleId);
  if (upToDate(await handle.describe(), s, taskQueue)) return 'unchanged';
  await handle.update((previous) => ({ ...options, state: { ...options.state, paused: previous.state.paused } }));
  return 'updated';
}

/** Creates or updates every schedule; safe to run from every worker at start. */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
): Promise<{ created: string[]; updated: string[] }> {
  const created: string[] = [];
  const updated: string[] = [];
  for (const s of SCHEDULES) {
    const result = await ensureSchedule(client, s, taskQueue);
    if (result === 'created') created.push(s.scheduleId);
    if (result === 'updated') updated.push(s.scheduleId);
  }
  return { created, updated };
}
