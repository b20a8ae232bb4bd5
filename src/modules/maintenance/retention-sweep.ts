import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DataSource, EntityManager } from 'typeorm';
import type { Policy } from '../../platform/config/policy';
import { appendAuditMany } from '../../platform/audit/log';
import { retentionDueAt } from '../lead/rules/retention';
import type { RetentionSweepResult } from '../lead/activities/contract';
import { eraseCases, type CaseErasure } from '../lead/activities/erasure';
import { statesOf, type WorkflowState } from './workflow-states';

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

/** Tuning and observation of the sweep. */
export interface SweepOptions {
  /** Cases per chunk: per transaction, and per heartbeat. */
  chunkSize?: number;
  /** Told after each chunk, before the next starts: progress logs, and the tests count chunks with it. */
  onChunk?: (event: SweepChunkEvent) => void | Promise<void>;
}

export interface SweepChunkEvent {
  phase: SweepPhase;
  /** The activity's attempt (1, 2, …). */
  attempt: number;
  /** The cases the chunk looked at (for `find`, those among the listed workflows that hold data without a date). */
  caseIds: string[];
}

export type SweepPhase = 'due' | 'find' | 'stale' | 'orphans' | 'purge';
const PHASES: SweepPhase[] = ['due', 'find', 'stale', 'orphans', 'purge'];

/** What the sweep has done so far: its heartbeat details, so the next attempt resumes from here. */
interface SweepProgress {
  phase: SweepPhase;
  /**
   * Keyset cursor of the phase: the last case done (`due` and `orphans`: by retention date, then ID;
   * `stale`: by ID). The date is Postgres's own text of it, to the microsecond, so no row is seen twice.
   */
  after: { dueAt?: string; id: string } | null;
  erased: number;
  caseIds: string[];
  notRunning: { dated: number; erased: number; withdrawn: number; caseIds: string[] };
  chunks: number;
}

const DEFAULT_CHUNK = 100;
/** Erased case IDs the result lists (the counts are complete); keeps heartbeats and the result small. */
const MAX_LISTED_IDS = 1_000;
const MS_PER_DAY = 86_400_000;

/** Not-running statuses the visibility step looks for (`Completed` runs are the erased cases; the `stale` step checks those). */
const CLOSED_NOT_COMPLETED = ['Failed', 'Terminated', 'TimedOut', 'Canceled'];

export interface SweepDeps {
  db: DataSource;
  policy: Policy;
  /** The task queue of the `leadCase` workflows (the visibility step looks there). */
  leadTaskQueue?: string;
  sweep?: SweepOptions;
}

const emptyProgress = (): SweepProgress => ({
  phase: 'due',
  after: null,
  erased: 0,
  caseIds: [],
  notRunning: { dated: 0, erased: 0, withdrawn: 0, caseIds: [] },
  chunks: 0,
});

function isProgress(v: unknown): v is SweepProgress {
  const p = v as SweepProgress | null;
  return (
    !!p &&
    typeof p === 'object' &&
    PHASES.includes(p.phase) &&
    typeof p.erased === 'number' &&
    Array.isArray(p.caseIds) &&
    typeof p.notRunning === 'object'
  );
}

const listed = (ids: string[], more: string[]) =>
  ids.length >= MAX_LISTED_IDS ? ids : [...ids, ...more].slice(0, MAX_LISTED_IDS);

interface UndatedCase {
  id: string;
  workflow_id: string;
  updated_at: Date;
  outcome: string | null;
}

/** The activity's context; null when called outside an activity (a script or a test calling it directly). */
function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

/** One attempt of the sweep: what it works with, and where it stands. */
interface SweepRun {
  db: DataSource;
  policy: Policy;
  at: string;
  /** Outside a worker there is no Temporal client: only the first step, which needs none, runs. */
  client: Client | undefined;
  leadTaskQueue: string | undefined;
  chunkSize: number;
  progress: SweepProgress;
  /** After every chunk: record the progress, report it, and stop here if cancelled. */
  chunkDone(phase: SweepPhase, caseIds: string[]): Promise<void>;
  /** Moves on to `phase`, unless a resumed attempt is already there. */
  enter(phase: SweepPhase): void;
  /** Whether `phase` is still to do or under way (not already passed by an earlier attempt). */
  reached(phase: SweepPhase): boolean;
}

/** The attempt's state: resumed from the last heartbeat when a previous attempt left one. */
function startSweep(deps: SweepDeps, at: string): SweepRun {
  const ctx = activityContext();
  const client = ctx?.client;
  const chunkSize = deps.sweep?.chunkSize ?? DEFAULT_CHUNK;
  const attempt = ctx?.info.attempt ?? 1;
  const resumed: unknown = ctx?.info.heartbeatDetails;
  const progress: SweepProgress = isProgress(resumed) ? resumed : emptyProgress();
  return {
    db: deps.db,
    policy: deps.policy,
    at,
    client,
    leadTaskQueue: deps.leadTaskQueue,
    chunkSize,
    progress,
    async chunkDone(phase, caseIds) {
      progress.chunks += 1;
      ctx?.heartbeat(progress);
      await deps.sweep?.onChunk?.({ phase, attempt, caseIds });
      if (ctx?.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    },
    enter(phase) {
      if (PHASES.indexOf(progress.phase) < PHASES.indexOf(phase)) {
        progress.phase = phase;
        progress.after = null;
        ctx?.heartbeat(progress);
      }
    },
    reached: (phase) => PHASES.indexOf(progress.phase) <= PHASES.indexOf(phase),
  };
}

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

/** The cases of a chunk that the erasure did erase (not already erased, not gone). */
const erasedCaseIds = (chunk: { caseId: string }[], results: CaseErasure[]) =>
  chunk
    .filter((_, j) => {
      const r = results[j];
      return 'erased' in r && r.erased;
    })
    .map((c) => c.caseId);

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
    const rows: { id: string; due: string }[] = await db.query(
      `SELECT id::text AS id, retention_due_at::text AS due FROM lead_cases
          WHERE erased_at IS NULL AND NOT legal_hold AND retention_basis IS NULL AND retention_due_at IS NOT NULL AND retention_due_at <= $1
            AND ($2::timestamptz IS NULL OR (retention_due_at, id) > ($2::timestamptz, $3::uuid))
          ORDER BY retention_due_at, id LIMIT $4`,
      [at, after?.dueAt ?? null, after?.id ?? null, chunkSize],
    );
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
    const rows: UndatedCase[] = await run.db.query(
      `SELECT id::text AS id, workflow_id, updated_at, outcome FROM lead_cases
          WHERE workflow_id = ANY($1::text[]) AND erased_at IS NULL AND retention_due_at IS NULL AND NOT legal_hold ORDER BY id`,
      [workflowIds],
    );
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
    const rows: UndatedCase[] = await db.query(
      `SELECT id::text AS id, workflow_id, updated_at, outcome FROM lead_cases
          WHERE erased_at IS NULL AND retention_due_at IS NULL AND NOT legal_hold AND updated_at <= $1
            AND ($2::uuid IS NULL OR id > $2::uuid)
          ORDER BY id LIMIT $3`,
      [untouchedSince, afterId, chunkSize],
    );
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

/** Gives each case whose workflow is not running a retention date by the policy; returns the IDs dated. */
async function dateNotRunning(
  { db, policy, at }: SweepRun,
  rows: UndatedCase[],
  states: Map<string, WorkflowState | null>,
): Promise<string[]> {
  const toDate = rows
    .map((r) => ({ r, state: states.get(r.workflow_id) }))
    .filter((x): x is { r: UndatedCase; state: WorkflowState } => !!x.state && x.state !== 'running')
    .map(({ r, state }) => {
      const due = retentionDueAt({ closedAt: new Date(r.updated_at), converted: r.outcome === 'approved' }, policy);
      return { id: r.id, state, dueAt: new Date(Math.max(due.getTime(), Date.parse(at))).toISOString() };
    });
  if (toDate.length === 0) return [];
  return db.transaction(async (m) => {
    // Only a case still without a date, not erased and not on hold, as it is now.
    const dated: { id: string; retention_due_at: Date }[] = await m.query(
      `WITH dated AS (
           UPDATE lead_cases l SET retention_due_at = v.due_at, retention_basis = 'workflow_not_running'
             FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, due_at)
            WHERE l.id = v.id AND l.erased_at IS NULL AND l.retention_due_at IS NULL AND NOT l.legal_hold
            RETURNING l.id::text AS id, l.retention_due_at)
         SELECT * FROM dated ORDER BY id`,
      [toDate.map((d) => d.id), toDate.map((d) => d.dueAt)],
    );
    const stateOf = new Map(toDate.map((d) => [d.id, d.state]));
    await appendAuditMany(
      m,
      dated.map((d) => ({
        actorSub: 'retention-sweep',
        actorRole: 'system',
        action: 'lead.retention_dated',
        targetType: 'lead_case',
        targetId: d.id,
        details: {
          reason: 'workflow_not_running',
          workflowState: stateOf.get(d.id),
          retentionDueAt: new Date(d.retention_due_at).toISOString(),
        },
      })),
    );
    return dated.map((d) => d.id);
  });
}

/** 4. Cases the sweep dated, now due: erased, unless their workflow runs again. */
async function eraseDueOrphans(run: SweepRun, client: Client): Promise<void> {
  run.enter('orphans');
  const { db, at, chunkSize, progress } = run;
  for (;;) {
    const after = progress.phase === 'orphans' ? progress.after : null;
    const rows: { id: string; workflow_id: string; due: string }[] = await db.query(
      `SELECT id::text AS id, workflow_id, retention_due_at::text AS due FROM lead_cases
          WHERE retention_basis = 'workflow_not_running' AND erased_at IS NULL AND NOT legal_hold AND retention_due_at <= $1
            AND ($2::timestamptz IS NULL OR (retention_due_at, id) > ($2::timestamptz, $3::uuid))
          ORDER BY retention_due_at, id LIMIT $4`,
      [at, after?.dueAt ?? null, after?.id ?? null, chunkSize],
    );
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

/**
 * In one transaction: the sweep's date withdrawn from the cases whose workflow runs again, and the
 * cases whose workflow has ended erased. Returns the IDs erased and how many dates were withdrawn.
 */
async function settleOrphans(
  m: EntityManager,
  at: string,
  running: string[],
  ended: string[],
): Promise<{ erased: string[]; withdrawn: number }> {
  // A workflow running again owns its case: the sweep's date goes, and the workflow gives its own when it closes.
  const cleared: { id: string }[] =
    running.length === 0
      ? []
      : await m.query(
          `WITH cleared AS (
             UPDATE lead_cases SET retention_basis = NULL, retention_due_at = NULL
              WHERE id = ANY($1::uuid[]) AND retention_basis = 'workflow_not_running' AND erased_at IS NULL RETURNING id::text AS id)
           SELECT id FROM cleared ORDER BY id`,
          [running],
        );
  // The checks of a retention sweep, made on the locked rows: still dated by the sweep, due, not on hold, not erased.
  const locked: { id: string }[] = await m.query(
    `SELECT id::text AS id FROM lead_cases
            WHERE id = ANY($1::uuid[]) AND retention_basis = 'workflow_not_running' AND erased_at IS NULL AND NOT legal_hold AND retention_due_at <= $2
            ORDER BY id FOR UPDATE`,
    [ended, at],
  );
  const chunk = locked.map(({ id }) => ({
    caseId: id,
    eventId: `sweep:${id}`,
    reason: 'workflow_not_running' as const,
    at,
  }));
  // No workflow will project these cases again: their rows show the stage a workflow's erasure
  // would. Set first, while the rows are locked: the erasure appends to the audit chain last.
  if (chunk.length > 0)
    await m.query(`UPDATE lead_cases SET stage = 'erased' WHERE id = ANY($1::uuid[])`, [locked.map((l) => l.id)]);
  const results = chunk.length > 0 ? await eraseCases(m, chunk) : [];
  const erased = erasedCaseIds(chunk, results);
  // Audit rows last: the chain's lock is held until commit.
  await appendAuditMany(
    m,
    cleared.map(({ id }) => ({
      actorSub: 'retention-sweep',
      actorRole: 'system',
      action: 'lead.retention_withdrawn',
      targetType: 'lead_case',
      targetId: id,
      details: { reason: 'workflow_running' },
    })),
  );
  return { erased, withdrawn: cleared.length };
}
