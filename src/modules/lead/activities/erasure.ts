import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { EraseInput } from './contract';
import { callEraseCases } from '../repository/erasure';

/**
 * Erasure of a lead's personal data: the identity, its data key (so any backup copy is unreadable),
 * the credit facts, free-text notes and reasons (contact notes, review reasons, legal-hold reasons),
 * and the blind indexes. What stays is de-identified
 * (age band, region prefix, amount band, tier, outcome, channel), an erasure record with an evidence
 * hash, and a `lead.erased` row in the audit chain.
 *
 * Every erasure appends to the audit chain, whose lock is held until commit, so erasures in separate
 * transactions run one after another. `eraseCases` therefore erases a set of cases in one call of
 * the `erase_cases` function (migration 1765100000000), and `ErasureGroupCommit` gathers the calls
 * a worker receives meanwhile into such sets.
 */

/** What became of one case of a set: erased now, erased before (nothing changed), or no such case. */
export type CaseErasure = { erased: boolean } | { notFound: true };

/**
 * Why a case is erased: a workflow's own reasons (EraseInput), or the retention sweep's for a case
 * whose workflow ended without erasing it. That one is erased only under the checks the sweep
 * makes itself, in the transaction it passes (see maintenance-activities.ts).
 */
export type ErasureReason = EraseInput['reason'] | 'workflow_not_running';
export type ErasureRequest = Omit<EraseInput, 'reason'> & { reason: ErasureReason };

/** The pool, or a transaction's manager: whatever runs a query. */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const caseNotFound = (caseId: string) =>
  ApplicationFailure.nonRetryable(`case ${caseId} does not exist`, 'case_not_found');

/**
 * Erases the given cases in one transaction and one round trip (the `erase_cases` function); the
 * result at index i answers inputs[i]. Idempotent:
 * a case that already has an erasure record (or appears twice in `inputs`) is reported
 * `erased: false` and left alone. A case that does not exist is reported `notFound` and does not
 * disturb the others. The case rows are locked in id order, so two overlapping sets cannot deadlock.
 */
export async function eraseCases(db: Queryable, inputs: ErasureRequest[]): Promise<CaseErasure[]> {
  // A malformed ID cannot name a case, and sent to Postgres it would fail the whole set.
  const valid = inputs.map((input, i) => ({ input, i })).filter(({ input }) => UUID.test(input.caseId));
  if (valid.length === 0) return inputs.map(() => ({ notFound: true }));

  // erase_cases (migration 1765100000000): lock, erase, then append to the audit chain, in one call.
  const rows = await callEraseCases(
    db,
    valid.map((v) => v.input.caseId),
    valid.map((v) => v.input.at),
    valid.map((v) => v.input.reason),
  );
  const found = new Set(rows.map((r) => r.id));
  const erasedNow = new Set(rows.filter((r) => r.erased_by !== null).map((r) => valid[Number(r.erased_by) - 1].i));
  return inputs.map((input, i): CaseErasure => {
    if (!UUID.test(input.caseId) || !found.has(input.caseId.toLowerCase())) return { notFound: true };
    return { erased: erasedNow.has(i) };
  });
}

/**
 * Erases one case in a statement of its own; a case that does not exist is a non-retryable
 * `case_not_found`. Idempotent: a second call finds the erasure record and changes nothing.
 */
export async function eraseCase(db: DataSource, input: EraseInput): Promise<{ erased: boolean }> {
  const [result] = await eraseCases(db, [input]);
  if ('notFound' in result) throw caseNotFound(input.caseId);
  return result;
}

/** One turn of the event loop: what is already queued runs first; no timer is set. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface WaitingErasure {
  input: EraseInput;
  resolve(result: { erased: boolean }): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions {
  /** The most cases one batch carries. */
  maxBatch?: number;
  /**
   * Batches in flight at once, each in its own transaction on its own connection. One by default:
   * on 2 cores shared by the worker and Postgres, two lanes measured no faster (`npm run bench --
   * --only 5`: 3,470 against 3,489 erasures/s at 2,000 per side, and slower at 300, where the
   * batches halve). A database on machines of its own may gain from two.
   */
  lanes?: number;
  /** A second batch starts beside a running one only when at least this many erasures wait. */
  splitAt?: number;
}

/**
 * Group commit of erasures within one worker. A call made while no batch is running starts one
 * after a single turn of the event loop (no timer), so the calls made in the same turn go with it;
 * calls made while a batch runs wait for it and then go together in the next (up to `maxBatch`
 * cases), so N concurrent erasures cost about one transaction and one hold of the audit lock
 * instead of N. Each caller gets its own case's result; when a batch's transaction fails,
 * every caller in it gets that error and its activity is retried by Temporal.
 *
 * When many wait (`splitAt` or more), they are shared between up to `lanes` batches that run at
 * once: their row locks and main statements overlap, and only the audit append at the end of each
 * takes turns (it is last in the transaction, after the rows are locked in id order, so two
 * batches cannot deadlock). While one batch's statement runs, the other's callers are answered and
 * queue again, so the database and the worker's JavaScript are busy at the same time.
 */
export class ErasureGroupCommit {
  private readonly waiting: WaitingErasure[] = [];
  private active = 0;
  /** Lanes in their turn of the event loop before taking a batch: whatever is waiting, they take. */
  private taking = 0;
  private batches = 0;
  private cases = 0;
  private inFlight = 0;
  private peakInFlight = 0;
  private readonly maxBatch: number;
  private readonly lanes: number;
  private readonly splitAt: number;

  constructor(
    private readonly eraseBatch: (inputs: EraseInput[]) => Promise<CaseErasure[]>,
    { maxBatch = 200, lanes = 1, splitAt = 20 }: GroupCommitOptions = {},
  ) {
    if (maxBatch < 1 || lanes < 1 || splitAt < 1)
      throw new RangeError('maxBatch, lanes and splitAt must each be at least 1');
    this.maxBatch = maxBatch;
    this.lanes = lanes;
    this.splitAt = splitAt;
  }

  erase(input: EraseInput): Promise<{ erased: boolean }> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (this.active === 0 || (this.taking === 0 && this.active < this.lanes && this.waiting.length >= this.splitAt))
        this.startLane();
    });
  }

  /** Batches run so far, the cases they carried, and the most that ran at once, for measurements. */
  stats(): { batches: number; cases: number; meanBatchSize: number; peakInFlight: number } {
    return {
      batches: this.batches,
      cases: this.cases,
      meanBatchSize: this.batches === 0 ? 0 : this.cases / this.batches,
      peakInFlight: this.peakInFlight,
    };
  }

  private startLane(): void {
    this.active += 1;
    void this.lane();
  }

  /** How many of the waiting erasures the next batch takes: a fair share when idle lanes can take the rest. */
  private nextBatchSize(): number {
    const parts = Math.max(1, Math.min(this.lanes - this.active + 1, Math.floor(this.waiting.length / this.splitAt)));
    return Math.min(this.maxBatch, Math.ceil(this.waiting.length / parts));
  }

  /**
   * One turn of the event loop (no timer) before taking a batch: the calls made in the same turn as
   * the first go with it, and callers just answered by a batch, who may erase again at once, join
   * those already waiting. Without it, a lone call that arrived during a batch would go alone, then
   * the rest, and so on in turns.
   */
  private async turn(): Promise<void> {
    this.taking += 1;
    try {
      await nextTurn();
    } finally {
      this.taking -= 1;
    }
  }

  private async lane(): Promise<void> {
    try {
      await this.turn();
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, this.nextBatchSize());
        while (this.active < this.lanes && this.waiting.length >= this.splitAt) this.startLane();
        this.batches += 1;
        this.cases += batch.length;
        this.peakInFlight = Math.max(this.peakInFlight, ++this.inFlight);
        try {
          await this.runBatch(batch);
        } finally {
          this.inFlight -= 1;
        }
        await this.turn();
      }
    } finally {
      this.active -= 1;
    }
  }

  private async runBatch(batch: WaitingErasure[]): Promise<void> {
    let results: CaseErasure[];
    try {
      results = await this.eraseBatch(batch.map((w) => w.input));
      if (results.length !== batch.length)
        throw new Error(`an erasure batch of ${batch.length} returned ${results.length} results`);
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const result = results[i];
      if ('notFound' in result) w.reject(caseNotFound(w.input.caseId));
      else w.resolve(result);
    });
  }
}

const groupCommits = new WeakMap<DataSource, ErasureGroupCommit>();

/** The group commit of the worker that owns this connection pool (one per pool, made on first use). */
export function erasureGroupCommitFor(db: DataSource): ErasureGroupCommit {
  let groupCommit = groupCommits.get(db);
  if (!groupCommit) {
    groupCommit = new ErasureGroupCommit((inputs) => eraseCases(db, inputs));
    groupCommits.set(db, groupCommit);
  }
  return groupCommit;
}
