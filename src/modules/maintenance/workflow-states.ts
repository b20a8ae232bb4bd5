import { WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { claimedFirstRuns } from '../../platform/db/run-claims';

/** Workflows described at once. */
const DESCRIBE_CONCURRENCY = 10;

export type WorkflowState = 'running' | 'completed' | 'failed' | 'terminated' | 'timed_out' | 'cancelled' | 'not_found';

const STATES: Partial<Record<WorkflowExecutionStatusName, WorkflowState>> = {
  RUNNING: 'running',
  PAUSED: 'running',
  CONTINUED_AS_NEW: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  CANCELLED: 'cancelled',
};

/**
 * The latest run's state of a case's workflow; null for a status the sweep does not act on. A
 * workflow under the case's ID that is not a `leadCase` on the lead queue, or whose run chain is not
 * the one that claimed the ID (someone terminated the case and started it again), is not the case's
 * own: for the sweep the case's workflow is gone.
 */
async function workflowState(
  client: Client,
  workflowId: string,
  claimedBy: string | undefined,
  leadTaskQueue?: string,
): Promise<WorkflowState | null> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.type !== 'leadCase' || (leadTaskQueue !== undefined && d.taskQueue !== leadTaskQueue)) return 'not_found';
    if (claimedBy !== undefined && d.raw.workflowExecutionInfo?.firstRunId !== claimedBy) return 'not_found';
    return STATES[d.status.name] ?? null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'not_found';
    throw err;
  }
}

export async function statesOf(
  client: Client,
  db: DataSource,
  workflowIds: string[],
  leadTaskQueue?: string,
): Promise<Map<string, WorkflowState | null>> {
  const states = new Map<string, WorkflowState | null>();
  for (let i = 0; i < workflowIds.length; i += DESCRIBE_CONCURRENCY) {
    const batch = workflowIds.slice(i, i + DESCRIBE_CONCURRENCY);
    const claims = await claimedFirstRuns(db, batch);
    const found = await Promise.all(batch.map((id) => workflowState(client, id, claims.get(id), leadTaskQueue)));
    batch.forEach((id, j) => states.set(id, found[j]));
  }
  return states;
}
