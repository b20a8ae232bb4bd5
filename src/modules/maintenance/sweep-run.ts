import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Policy } from '../../platform/config/policy';

// One attempt of the retention sweep (retention-sweep.ts): its heartbeated progress, so a retry resumes.

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
export interface SweepProgress {
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

export const listed = (ids: string[], more: string[]) =>
  ids.length >= MAX_LISTED_IDS ? ids : [...ids, ...more].slice(0, MAX_LISTED_IDS);

/** The activity's context; null when called outside an activity (a script or a test calling it directly). */
function activityContext(): Context | null {
  try {
    return Context.current();
  } catch {
    return null;
  }
}

/** One attempt of the sweep: what it works with, and where it stands. */
export interface SweepRun {
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
export function startSweep(deps: SweepDeps, at: string): SweepRun {
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
