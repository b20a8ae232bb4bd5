import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';

export interface ScheduleDefinition {
  scheduleId: string;
  workflowType: 'followUpDigest' | 'retentionSweep' | 'deadlineAudit' | 'channelReview' | 'postLoanCheckIns' | 'orphanedIntakeSweep';
  every: Duration;
  note: string;
}

/** The timed work nobody asks for. IDs are stable so creation is idempotent. */
export const SCHEDULES: ScheduleDefinition[] = [
  { scheduleId: 'follow-up-digest', workflowType: 'followUpDigest', every: '1 hour', note: 'Hourly digest of open cases past their deadline, for managers' },
  { scheduleId: 'retention-sweep', workflowType: 'retentionSweep', every: '1 day', note: 'Daily erasure of anything past retention that still holds personal data' },
  { scheduleId: 'channel-review', workflowType: 'channelReview', every: '1 day', note: 'Daily channel review: grade each channel on its figures, suspend past the line' },
  { scheduleId: 'deadline-audit', workflowType: 'deadlineAudit', every: '1 day', note: 'Daily report of open cases without a pending deadline' },
  { scheduleId: 'orphaned-intake-sweep', workflowType: 'orphanedIntakeSweep', every: '1 hour', note: 'Hourly: ends lead workflows whose intake rolled back and left no case' },
  { scheduleId: 'post-loan-check-ins', workflowType: 'postLoanCheckIns', every: '1 day', note: 'Daily planning of post-loan check-in calls that have fallen due, for their brokers' },
];

/** Creates each schedule unless it exists already; safe to run from every worker at start. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<string[]> {
  const created: string[] = [];
  for (const s of SCHEDULES) {
    try {
      await client.schedule.create({
        scheduleId: s.scheduleId,
        spec: { intervals: [{ every: s.every }] },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
        action: { type: 'startWorkflow', workflowType: s.workflowType, taskQueue, args: [], workflowId: `schedule-${s.scheduleId}`, staticSummary: s.note },
        state: { note: s.note },
      });
      created.push(s.scheduleId);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
  }
  return created;
}
