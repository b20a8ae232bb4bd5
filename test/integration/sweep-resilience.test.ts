import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type Duration } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import type { RetentionSweepResult } from '../../src/modules/lead/activities/contract';
import type { SweepChunkEvent, SweepOptions } from '../../src/modules/maintenance/sweep-run';
import { createMaintenanceWorker } from '../../src/worker/worker';
import { casesWithPersonalData } from '../support/erasable-cases';
import { eventually, startStack, type TestStack } from '../support/stack';
import { SWEEP_LOCK_WAIT_MS, takeSweepLock } from '../support/sweep-lock';
import { kill, spawnWorker } from '../support/worker-process';

/**
 * The retention sweep as the schedule runs it: a `retentionSweep` workflow on a maintenance task
 * queue, served by a maintenance worker, against the real Temporal dev server and Postgres. No lead
 * worker runs here: a `leadCase` workflow started on the lead queue stays Running (nobody takes its
 * tasks) until the test terminates it, which is all the sweep may look at.
 */
let stack: TestStack;
let releaseLock: () => Promise<void>;
beforeAll(async () => {
  stack = await startStack({}, { worker: false });
  releaseLock = await takeSweepLock(stack.db);
}, SWEEP_LOCK_WAIT_MS);
afterAll(async () => {
  await releaseLock?.();
  await stack?.stop();
});

interface MaintenanceWorker {
  taskQueue: string;
  stop(): Promise<void>;
  shutdown(): void;
  stopped: Promise<void>;
}

async function maintenanceWorker(
  sweep: SweepOptions = {},
  o: { taskQueue?: string; shutdownGraceTime?: Duration } = {},
): Promise<MaintenanceWorker> {
  const taskQueue = o.taskQueue ?? `lead-maintenance-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: stack.cfg.TEMPORAL_ADDRESS });
  const worker = await createMaintenanceWorker({
    cfg: stack.cfg,
    db: stack.db,
    connection,
    workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH,
    taskQueue,
    sweep,
    shutdownGraceTime: o.shutdownGraceTime,
  });
  const stopped = worker.run().finally(() => connection.close());
  const shutdown = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    taskQueue,
    shutdown,
    stopped,
    stop: async () => {
      shutdown();
      await stopped;
    },
  };
}

const sweepOn = (taskQueue: string) =>
  stack.client.workflow.start('retentionSweep', { taskQueue, workflowId: `retention-sweep-${randomUUID()}`, args: [] });
const sweep = async (taskQueue: string): Promise<RetentionSweepResult> => (await sweepOn(taskQueue)).result();

const row = async (id: string) =>
  (
    await stack.db.query(
      'SELECT stage, is_open, retention_due_at, retention_basis, erased_at, legal_hold, updated_at FROM lead_cases WHERE id = $1',
      [id],
    )
  )[0];
const holdsIdentity = async (id: string) =>
  (await stack.db.query('SELECT 1 FROM identities WHERE case_id = $1', [id])).length === 1;
const erasureReason = async (id: string) =>
  (await stack.db.query('SELECT reason FROM erasure_records WHERE case_id = $1', [id]))[0]?.reason ?? null;
const auditOf = async (id: string, action: string) =>
  (
    await stack.db.query(
      'SELECT details FROM audit_events WHERE target_type = $1 AND target_id = $2 AND action = $3 ORDER BY id',
      ['lead_case', id, action],
    )
  ).map((r: { details: unknown }) => r.details);

/** A `leadCase` workflow for the case on the (unserved) lead queue. */
const startLeadWorkflow = (caseId: string) =>
  stack.client.workflow.start('leadCase', {
    taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
    workflowId: `lead-${caseId}`,
    args: [],
  });

describe('cases whose workflow is no longer running', () => {
  test('a terminated case is dated by the policy, erased once that date passes and not before, with its record and audit row; running and held cases are untouched', async () => {
    const w = await maintenanceWorker();
    try {
      const [ended, running, held, gone] = await casesWithPersonalData(stack.db, 4);
      for (const id of [ended, running, held]) await startLeadWorkflow(id);
      await stack.client.workflow.getHandle(`lead-${ended}`).terminate('cut off at the history limit');
      await stack.client.workflow.getHandle(`lead-${held}`).terminate('test');
      await stack.db.query('UPDATE lead_cases SET legal_hold = true WHERE id = $1', [held]);
      // Untouched for longer than the retention: `gone` has no workflow at all (its history aged out), `running` still has one.
      await stack.db.query(
        `UPDATE lead_cases SET updated_at = now() - interval '100 days' WHERE id = ANY($1::uuid[])`,
        [[running, gone]],
      );

      // Visibility is eventually consistent: sweep until the terminated workflow is listed.
      const first = await eventually(
        async () => {
          const r = await sweep(w.taskQueue);
          return (await row(ended)).retention_basis ? r : null;
        },
        'the sweep to date the terminated case',
        60_000,
      );

      // Dated by the policy from when the case was last active: not due yet, so nothing erased.
      const dated = await row(ended);
      expect(dated.retention_basis).toBe('workflow_not_running');
      const expectedDue =
        new Date(dated.updated_at).getTime() + stack.cfg.policy.retention.unconvertedDays * 86_400_000;
      expect(new Date(dated.retention_due_at).getTime()).toBe(expectedDue);
      expect(await holdsIdentity(ended)).toBe(true);
      expect(await erasureReason(ended)).toBeNull();
      expect(await auditOf(ended, 'lead.retention_dated')).toEqual([
        {
          reason: 'workflow_not_running',
          workflowState: 'terminated',
          retentionDueAt: new Date(expectedDue).toISOString(),
        },
      ]);
      // A case whose workflow no longer exists and whose retention is already past is erased at once.
      expect(await erasureReason(gone)).toBe('workflow_not_running');
      expect(await holdsIdentity(gone)).toBe(false);
      expect(first.workflowNotRunning?.dated).toBeGreaterThanOrEqual(1);

      // Its date passes.
      await stack.db.query(`UPDATE lead_cases SET retention_due_at = now() - interval '1 minute' WHERE id = $1`, [
        ended,
      ]);
      const second = await sweep(w.taskQueue);
      expect(second.workflowNotRunning?.caseIds).toContain(ended);
      expect(second.caseIds).toContain(ended);
      expect(await holdsIdentity(ended)).toBe(false);
      expect(await erasureReason(ended)).toBe('workflow_not_running');
      expect(await auditOf(ended, 'lead.erased')).toEqual([
        expect.objectContaining({ reason: 'workflow_not_running' }),
      ]);
      expect(await row(ended)).toMatchObject({ erased_at: expect.any(Date), stage: 'erased', is_open: false });

      // The running case and the held case keep everything, and get no date.
      for (const id of [running, held]) {
        expect(await holdsIdentity(id)).toBe(true);
        expect(await erasureReason(id)).toBeNull();
        expect(await row(id)).toMatchObject({ retention_due_at: null, retention_basis: null, erased_at: null });
      }
    } finally {
      await w.stop();
    }
  });

  test('a case the sweep dated whose workflow runs again is not erased: the date is withdrawn', async () => {
    const w = await maintenanceWorker();
    try {
      const [revived] = await casesWithPersonalData(stack.db, 1);
      await startLeadWorkflow(revived); // as after a reset: Running again
      await stack.db.query(
        `UPDATE lead_cases SET retention_basis = 'workflow_not_running', retention_due_at = now() - interval '1 day' WHERE id = $1`,
        [revived],
      );
      const swept = await sweep(w.taskQueue);
      expect(swept.caseIds).not.toContain(revived);
      expect(await holdsIdentity(revived)).toBe(true);
      expect(await erasureReason(revived)).toBeNull();
      expect(await row(revived)).toMatchObject({ retention_due_at: null, retention_basis: null, erased_at: null });
      expect(await auditOf(revived, 'lead.retention_withdrawn')).toEqual([{ reason: 'workflow_running' }]);
    } finally {
      await w.stop();
    }
  });

  test('a workflow someone started under the case ID (another type, or another queue) does not pass for the case running: the case is erased', async () => {
    const w = await maintenanceWorker();
    try {
      const [onOtherQueue, otherType] = await casesWithPersonalData(stack.db, 2);
      await stack.client.workflow.start('leadCase', {
        taskQueue: `nobody-${randomUUID()}`,
        workflowId: `lead-${onOtherQueue}`,
        args: [],
      });
      await stack.client.workflow.start('somethingElse', {
        taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
        workflowId: `lead-${otherType}`,
        args: [],
      });
      await stack.db.query(
        `UPDATE lead_cases SET updated_at = now() - interval '100 days' WHERE id = ANY($1::uuid[])`,
        [[onOtherQueue, otherType]],
      );
      await sweep(w.taskQueue);
      for (const id of [onOtherQueue, otherType]) {
        expect(await erasureReason(id)).toBe('workflow_not_running');
        expect(await holdsIdentity(id)).toBe(false);
      }
    } finally {
      await w.stop();
    }
  });
});

describe('the sweep activity', () => {
  /** Cases due long ago, in a known order: they come first in the sweep's key order, before anything another test left due. */
  async function dueLongAgo(n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push(...(await casesWithPersonalData(stack.db, 1, { retentionDueAt: new Date(Date.UTC(1990, 0, 1, 0, i)) })));
    return ids;
  }
  /** The due-phase chunks that touched `ids`, per attempt, restricted to `ids`. */
  const chunksOf = (events: SweepChunkEvent[], ids: string[]) =>
    events
      .filter((e) => e.phase === 'due')
      .map((e) => ({ attempt: e.attempt, caseIds: e.caseIds.filter((id) => ids.includes(id)) }))
      .filter((c) => c.caseIds.length > 0);

  test('runs on the maintenance queue with a short heartbeat timeout; an attempt that fails after its first chunk is resumed with the next chunk', async () => {
    const ids = await dueLongAgo(5);
    const events: SweepChunkEvent[] = [];
    const w = await maintenanceWorker({
      chunkSize: 2,
      onChunk: (e) => {
        events.push(e);
        if (e.phase === 'due' && e.attempt === 1)
          throw ApplicationFailure.retryable('the worker fell over after a chunk');
      },
    });
    try {
      const handle = await sweepOn(w.taskQueue);
      const result = await handle.result();
      expect(chunksOf(events, ids)).toEqual([
        { attempt: 1, caseIds: ids.slice(0, 2) },
        { attempt: 2, caseIds: ids.slice(2, 4) },
        { attempt: 2, caseIds: ids.slice(4) },
      ]);
      // The first attempt's erasures came through its heartbeat into the result.
      expect(result.caseIds).toEqual(expect.arrayContaining(ids));
      for (const id of ids) expect(await erasureReason(id)).toBe('retention_sweep');

      const scheduled = (await handle.fetchHistory()).events
        ?.map((e) => e.activityTaskScheduledEventAttributes)
        .find((a) => a?.activityType?.name === 'retentionSweep');
      expect(scheduled?.taskQueue?.name).toBe(w.taskQueue);
      expect(Number(scheduled?.heartbeatTimeout?.seconds ?? 0)).toBeGreaterThan(0);
      expect(Number(scheduled?.heartbeatTimeout?.seconds)).toBeLessThanOrEqual(60);
    } finally {
      await w.stop();
    }
  });

  test('a worker shutdown stops a long sweep between chunks; another worker resumes it after the last chunk done', async () => {
    const ids = await dueLongAgo(5);
    const events: SweepChunkEvent[] = [];
    let firstChunkDone!: () => void;
    const firstChunk = new Promise<void>((resolve) => (firstChunkDone = resolve));
    let slowed = false;
    const record = (e: SweepChunkEvent) => {
      events.push(e);
    };
    const first = await maintenanceWorker(
      {
        chunkSize: 2,
        onChunk: async (e) => {
          record(e);
          if (e.phase !== 'due' || e.attempt !== 1 || slowed) return;
          slowed = true;
          firstChunkDone();
          // A long chunk: it lasts until the shutdown's cancellation arrives (or 30 s, after which the test fails).
          const signal = Context.current().cancellationSignal;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 30_000);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        },
      },
      { shutdownGraceTime: '1 second' },
    );
    const handle = await sweepOn(first.taskQueue);
    await firstChunk;
    first.shutdown();
    await first.stopped;
    // Stopped after its first chunk: the rest still hold their data.
    expect(chunksOf(events, ids)).toEqual([{ attempt: 1, caseIds: ids.slice(0, 2) }]);
    for (const id of ids.slice(2)) expect(await holdsIdentity(id)).toBe(true);

    const second = await maintenanceWorker({ chunkSize: 2, onChunk: record }, { taskQueue: first.taskQueue });
    try {
      const result = await handle.result();
      expect(chunksOf(events, ids)).toEqual([
        { attempt: 1, caseIds: ids.slice(0, 2) },
        { attempt: 2, caseIds: ids.slice(2, 4) },
        { attempt: 2, caseIds: ids.slice(4) },
      ]);
      expect(result.caseIds).toEqual(expect.arrayContaining(ids));
      for (const id of ids) expect(await holdsIdentity(id)).toBe(false);
    } finally {
      await second.stop();
    }
  });
});

describe('the worker process', () => {
  test('serves the maintenance queue beside the case queue, and stops cleanly on SIGTERM', async () => {
    const queue = `lead-cases-${randomUUID()}`;
    const maintenanceQueue = `lead-maintenance-${randomUUID()}`;
    const { child, ready } = spawnWorker(stack.cfg, {
      TEMPORAL_TASK_QUEUE: queue,
      TEMPORAL_MAINTENANCE_TASK_QUEUE: maintenanceQueue,
      LOG_LEVEL: 'info',
    });
    try {
      await ready;
      const [due] = await casesWithPersonalData(stack.db, 1, { retentionDueAt: new Date(Date.UTC(1990, 5, 1)) });
      const result = await sweep(maintenanceQueue);
      expect(result.caseIds).toContain(due);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await kill(child, 'SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      await kill(child, 'SIGKILL');
    }
  });
});
