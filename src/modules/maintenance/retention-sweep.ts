import type { Client } from '@temporalio/client';
import type { RetentionSweepResult } from '../lead/activities/contract';
import { eraseCases } from '../lead/activities/erasure';
import { dateNotRunning, erasedCaseIds, settleOrphans } from './retention-settle';
import { listed, startSweep, type SweepDeps, type SweepRun } from './sweep-run';
import { statesOf } from './workflow-states';
import {
  findDueCases,
  findDueOrphans,
  findUndatedCasesOfWorkflows,
  findUntouchedUndatedCases,
} from './repository/retention';

/**
 * The daily retention sweep: the safety net under every case's own retention timer.
 *
 * 1. `due`: erases every case past the retention date its workflow gave it (not on legal hold).
 * 2. `find`: cases whose `leadCase` workflow ended without erasing them (failed, terminated, timed
 *    out, cancelled), as Temporal's visibility lists them, that have no retention date yet, get one
 *    from the policy, counted from when the case was last active (now, if that is already past).
 * 3. `stale`: so does any case without a date that nobody has touched for the shortest retention,
 *    whose workflow is not running or no longer exists (closed runs leave visibility after the
 *    namespace's retention, so step 2 alone could miss one).
 * 4. `orphans`: erases the cases dated by steps 2 and 3 once their date has passed, after asking
 *    Temporal again that the workflow is still not running: a running workflow owns its case, and
 *    the sweep's date is withdrawn instead.
 * 5. `purge`: old Idempotency-Key answers and lender applications.
 *
 * Each step goes a chunk at a time, one transaction per chunk, in key order. After every chunk the
 * activity heartbeats its progress (the phase, the last key done, the counts), so a retried attempt
 * (the worker died, Postgres blinked) starts after the last chunk done instead of from the start,
 * and it stops between chunks when cancelled (a worker shutting down): nothing is half done, and
 * the next attempt, on any worker, carries on.
 */
const MS_PER_DAY = 86_400_000;

/** Not-running statuses the visibility step looks for (`Completed` runs are the erased cases; the `stale` step checks those). */
const CLOSED_NOT_COMPLETED = ['Failed', 'Terminated', 'TimedOut', 'Canceled'];

/** The steps in order, from where the last attempt stopped; steps 2 to 4 need a Temporal client. */
export async function retentionSweep(deps: SweepDeps, { at }: { at: string }): Promise<RetentionSweepResult> {
  const run = startSweep(deps, at);
  const { client, progress } = run;
  if (run.reached('due')) await eraseDueCases(run);
  if (client && run.reached('find') && deps.leadTaskQueue) await dateListedNotRunning(run, client, deps.leadTaskQueue);
  if (client && run.reached('stale')) await dateUntouchedCases(run, client);
  if (client && run.reached('orphans')) await eraseDueOrphans(run, client);
  run.enter('purge');
  return {
    erased: progress.erased,
    caseIds: progress.caseIds,
    workflowNotRunning: progress.notRunning,
    chunks: progress.chunks,
  };
}

/** The latest run's state of each case's workflow. */
const statesOfCases = (run: SweepRun, client: Client, rows: { workflow_id: string }[]) =>
  statesOf(
    client,
    run.db,
    rows.map((r) => r.workflow_id),
    run.leadTaskQueue,
  );

/** 1. Cases past the date their own workflow gave them. */
async function eraseDueCases(run: SweepRun): Promise<void> {
  const { db, at, chunkSize, progress } = run;
  for (;;) {
    const after = progress.phase === 'due' ? progress.after : null;
    const rows = await findDueCases(db, at, after, chunkSize);
    if (rows.length === 0) break;
    const chunk = rows.map(({ id }) => ({
      caseId: id,
      eventId: `sweep:${id}`,
      reason: 'retention_sweep' as const,
      at,
    }));
    const erased = erasedCaseIds(chunk, await eraseCases(db, chunk));
    progress.erased += erased.length;
    progress.caseIds = listed(progress.caseIds, erased);
    const last = rows[rows.length - 1];
    progress.after = { dueAt: last.due, id: last.id };
    await run.chunkDone(
      'due',
      rows.map((r) => r.id),
    );
  }
}

/** 2. Cases whose workflow Temporal lists as ended without completing. */
async function dateListedNotRunning(run: SweepRun, client: Client, leadTaskQueue: string): Promise<void> {
  run.enter('find');
  if (!/^[\w.:/-]+$/.test(leadTaskQueue)) throw new Error('the task queue name cannot be put in a visibility query');
  const query = `WorkflowType = 'leadCase' AND TaskQueue = '${leadTaskQueue}' AND (${CLOSED_NOT_COMPLETED.map((s) => `ExecutionStatus = '${s}'`).join(' OR ')})`;
  const settle = async (workflowIds: string[]) => {
    const rows = await findUndatedCasesOfWorkflows(run.db, workflowIds);
    // The list may name an older run: only the latest run's state counts.
    const dated = await dateNotRunning(run, rows, await statesOfCases(run, client, rows));
    run.progress.notRunning.dated += dated.length;
    await run.chunkDone(
      'find',
      rows.map((r) => r.id),
    );
  };
  let batch = new Set<string>();
  for await (const wf of client.workflow.list({ query })) {
    batch.add(wf.workflowId);
    if (batch.size === run.chunkSize) {
      await settle([...batch]);
      batch = new Set();
    }
  }
  if (batch.size > 0) await settle([...batch]);
}

/** 3. Cases without a date that nobody has touched for the shortest retention: is their workflow still there? */
async function dateUntouchedCases(run: SweepRun, client: Client): Promise<void> {
  run.enter('stale');
  const { db, policy, at, chunkSize, progress } = run;
  const shortestDays = Math.min(policy.retention.unconvertedDays, policy.retention.convertedYears * 365);
  const untouchedSince = new Date(Date.parse(at) - shortestDays * MS_PER_DAY).toISOString();
  for (;;) {
    const afterId = progress.phase === 'stale' ? (progress.after?.id ?? null) : null;
    const rows = await findUntouchedUndatedCases(db, untouchedSince, afterId, chunkSize);
    if (rows.length === 0) break;
    const dated = await dateNotRunning(run, rows, await statesOfCases(run, client, rows));
    progress.notRunning.dated += dated.length;
    progress.after = { id: rows[rows.length - 1].id };
    await run.chunkDone(
      'stale',
      rows.map((r) => r.id),
    );
  }
}

/** 4. Cases the sweep dated, now due: erased, unless their workflow runs again. */
async function eraseDueOrphans(run: SweepRun, client: Client): Promise<void> {
  run.enter('orphans');
  const { db, at, chunkSize, progress } = run;
  for (;;) {
    const after = progress.phase === 'orphans' ? progress.after : null;
    const rows = await findDueOrphans(db, at, after, chunkSize);
    if (rows.length === 0) break;
    const states = await statesOfCases(run, client, rows);
    const running = rows.filter((r) => states.get(r.workflow_id) === 'running').map((r) => r.id);
    const ended = rows
      .filter((r) => {
        const s = states.get(r.workflow_id);
        return s && s !== 'running';
      })
      .map((r) => r.id);
    const { erased, withdrawn } = await db.transaction((m) => settleOrphans(m, at, running, ended));
    progress.erased += erased.length;
    progress.caseIds = listed(progress.caseIds, erased);
    progress.notRunning.erased += erased.length;
    progress.notRunning.withdrawn += withdrawn;
    progress.notRunning.caseIds = listed(progress.notRunning.caseIds, erased);
    const last = rows[rows.length - 1];
    progress.after = { dueAt: last.due, id: last.id };
    await run.chunkDone(
      'orphans',
      rows.map((r) => r.id),
    );
  }
}
