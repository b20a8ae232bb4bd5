import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import type { EraseInput } from './contract';

/**
 * Erasure of a lead's personal data: the identity, its data key (so any backup copy is unreadable),
 * the credit facts, free-text notes and reasons (contact notes, review reasons, legal-hold reasons),
 * and the blind indexes. What stays is de-identified
 * (age band, region prefix, amount band, tier, outcome, channel), an erasure record with an evidence
 * hash, and a `lead.erased` row in the audit chain.
 *
 * Every erasure appends to the audit chain, whose lock is held until commit, so erasures in separate
 * transactions run one after another. `eraseCases` therefore erases a set of cases in one statement,
 * and `ErasureGroupCommit` gathers the calls a worker receives meanwhile into such sets.
 */

/** What became of one case of a set: erased now, erased before (nothing changed), or no such case. */
export type CaseErasure = { erased: boolean } | { notFound: true };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const caseNotFound = (caseId: string) => ApplicationFailure.nonRetryable(`case ${caseId} does not exist`, 'case_not_found');

/**
 * JSON text built in SQL must be byte for byte what JavaScript would build, because hashes cover
 * it: `to_json(text)` escapes a string as JSON.stringify does, and a missing value is `null`.
 */
const jsonText = (sql: string) => `coalesce(to_json(${sql})::text, 'null')`;

/**
 * The amount band of `amountBand` (src/domain/deidentify.ts), in SQL. The erasure tests compare the
 * two at every boundary.
 */
const AMOUNT_BAND_SQL = `CASE WHEN l.amount_cny < 50000 THEN '<50k' WHEN l.amount_cny < 100000 THEN '50k-100k'
  WHEN l.amount_cny < 200000 THEN '100k-200k' WHEN l.amount_cny < 300000 THEN '200k-300k' ELSE '>=300k' END`;

/**
 * The whole erasure of a set of cases as one statement, so one round trip and no explicit
 * transaction. Parameters: the case IDs as uuid[], the same IDs as given (text[], for the hashes),
 * the erasure times as given (ISO text[]), the reasons (text[]). Returns one row per case found:
 * its ID, and the 1-based position of the input that erased it now (null when it was erased before).
 *
 * - `locked` takes the case rows in ID order (two overlapping sets cannot deadlock) and reads them
 *   as they are once the lock is ours: a case erased by a transaction we waited for shows as erased.
 * - `target` keeps, per case not yet erased, the first input that names it, with its de-identified
 *   facts as canonical JSON: keys in the order ageBand, regionPrefix, amountBand, tier, outcome,
 *   channelId, as JSON.stringify writes the object the erasure record has always held.
 * - The evidence hash is SHA-256 of `[caseId, reason, at, facts]` as JSON.stringify writes it.
 * - Every table's change is a data-modifying CTE; `written` reads them all, and `audited` needs
 *   `written`, so the audit append (which takes the chain's lock until commit) comes last.
 * - Each audit row's canonical tail is the one `canonicalTail` in src/db/audit.ts writes for
 *   `[at, "workflow", "system", "lead.erased", "lead_case", caseId, {evidenceHash, reason}]`,
 *   with `at` cut to milliseconds, as a JavaScript Date holds it; `verifyAuditChain` checks it.
 */
const ERASE_CASES_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS i(id, case_text, at_text, reason, n)
), locked AS (
  SELECT id, age_band, region_prefix, amount_cny, risk_tier, outcome, channel_id, erased_at IS NOT NULL AS erased
    FROM lead_cases WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
), target AS (
  SELECT DISTINCT ON (l.id) l.id, i.case_text, i.at_text, i.reason, i.n,
         '{"ageBand":' || ${jsonText('l.age_band')} || ',"regionPrefix":' || ${jsonText('l.region_prefix')}
         || ',"amountBand":' || ${jsonText(AMOUNT_BAND_SQL)} || ',"tier":' || ${jsonText('l.risk_tier')}
         || ',"outcome":' || ${jsonText('l.outcome')} || ',"channelId":' || ${jsonText('l.channel_id')} || '}' AS facts
    FROM locked l JOIN input i ON i.id = l.id
   WHERE NOT l.erased
   ORDER BY l.id, i.n
), hashed AS (
  SELECT t.*, encode(sha256(convert_to(
           '[' || ${jsonText('t.case_text')} || ',' || ${jsonText('t.reason')} || ',' || ${jsonText('t.at_text')} || ',' || t.facts || ']', 'UTF8')), 'hex') AS evidence_hash
    FROM target t
), identities_gone AS (
  DELETE FROM identities WHERE case_id IN (SELECT id FROM hashed) RETURNING 1
), keys_gone AS (
  DELETE FROM lead_data_keys WHERE case_id IN (SELECT id FROM hashed) RETURNING 1
), credit_gone AS (
  DELETE FROM credit_facts WHERE case_id IN (SELECT id FROM hashed) RETURNING 1
), notes_gone AS (
  UPDATE contact_log SET note = NULL WHERE case_id IN (SELECT id FROM hashed) AND note IS NOT NULL RETURNING 1
), reasons_gone AS (
  UPDATE decisions SET result = result - 'reason' WHERE case_id IN (SELECT id FROM hashed) AND result ? 'reason' RETURNING 1
), hold_reasons_gone AS (
  UPDATE legal_hold_events SET reason = NULL WHERE case_id IN (SELECT id FROM hashed) AND reason IS NOT NULL RETURNING 1
), cases_closed AS (
  UPDATE lead_cases lc SET id_index = NULL, phone_index = NULL, device_index = NULL, age_at_intake = NULL,
         region_mismatches = '{}', is_open = false, erased_at = h.at_text::timestamptz, updated_at = now()
    FROM hashed h WHERE lc.id = h.id RETURNING 1
), recorded AS (
  INSERT INTO erasure_records (case_id, reason, erased_at, evidence_hash, facts)
  SELECT id, reason, at_text::timestamptz, evidence_hash, facts::jsonb FROM hashed RETURNING 1
), written AS (
  SELECT (SELECT count(*) FROM identities_gone) + (SELECT count(*) FROM keys_gone) + (SELECT count(*) FROM credit_gone)
       + (SELECT count(*) FROM notes_gone) + (SELECT count(*) FROM reasons_gone) + (SELECT count(*) FROM hold_reasons_gone)
       + (SELECT count(*) FROM cases_closed)
       + (SELECT count(*) FROM recorded) AS rows
), stamp AS (
  SELECT at, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at_iso FROM (SELECT date_trunc('milliseconds', now()) AS at) s
), audited AS (
  SELECT audit_append_many(
           array_agg(s.at ORDER BY h.n), array_agg('workflow'::text ORDER BY h.n), array_agg('system'::text ORDER BY h.n),
           array_agg('lead.erased'::text ORDER BY h.n), array_agg('lead_case'::text ORDER BY h.n), array_agg(h.case_text ORDER BY h.n),
           array_agg(jsonb_build_object('reason', h.reason, 'evidenceHash', h.evidence_hash) ORDER BY h.n),
           array_agg(${jsonText('s.at_iso')} || ',"workflow","system","lead.erased","lead_case",' || ${jsonText('h.case_text')}
                     || ',{"evidenceHash":' || ${jsonText('h.evidence_hash')} || ',"reason":' || ${jsonText('h.reason')} || '}]' ORDER BY h.n)
         )::text AS done
    FROM hashed h CROSS JOIN stamp s CROSS JOIN written w
)
SELECT l.id::text AS id, h.n AS erased_by FROM locked l LEFT JOIN hashed h ON h.id = l.id CROSS JOIN audited`;

/**
 * Runs a statement as a named prepared statement on one pooled connection: Postgres parses and
 * plans it once per connection instead of on every call (about a tenth of a batch's time).
 */
async function queryPrepared<T>(db: DataSource, name: string, text: string, values: unknown[]): Promise<T[]> {
  const runner = db.createQueryRunner();
  try {
    const client = (await runner.connect()) as PoolClient;
    return (await client.query({ name, text, values })).rows as T[];
  } finally {
    await runner.release();
  }
}

/**
 * Erases the given cases in one statement; the result at index i answers inputs[i]. Idempotent:
 * a case that already has an erasure record (or appears twice in `inputs`) is reported
 * `erased: false` and left alone. A case that does not exist is reported `notFound` and does not
 * disturb the others. The case rows are locked in id order, so two overlapping sets cannot deadlock.
 */
export async function eraseCases(db: DataSource, inputs: EraseInput[]): Promise<CaseErasure[]> {
  // A malformed ID cannot name a case, and sent to Postgres it would fail the whole set.
  const valid = inputs.map((input, i) => ({ input, i })).filter(({ input }) => UUID.test(input.caseId));
  if (valid.length === 0) return inputs.map(() => ({ notFound: true }));

  const rows = await queryPrepared<{ id: string; erased_by: string | null }>(db, 'erase_cases_v2', ERASE_CASES_SQL, [
    valid.map((v) => v.input.caseId),
    valid.map((v) => v.input.caseId),
    valid.map((v) => v.input.at),
    valid.map((v) => v.input.reason),
  ]);
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
    if (maxBatch < 1 || lanes < 1 || splitAt < 1) throw new RangeError('maxBatch, lanes and splitAt must each be at least 1');
    this.maxBatch = maxBatch;
    this.lanes = lanes;
    this.splitAt = splitAt;
  }

  erase(input: EraseInput): Promise<{ erased: boolean }> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (this.active === 0 || (this.taking === 0 && this.active < this.lanes && this.waiting.length >= this.splitAt)) this.startLane();
    });
  }

  /** Batches run so far, the cases they carried, and the most that ran at once, for measurements. */
  stats(): { batches: number; cases: number; meanBatchSize: number; peakInFlight: number } {
    return { batches: this.batches, cases: this.cases, meanBatchSize: this.batches === 0 ? 0 : this.cases / this.batches, peakInFlight: this.peakInFlight };
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
      if (results.length !== batch.length) throw new Error(`an erasure batch of ${batch.length} returned ${results.length} results`);
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
