import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';

/** A client's hits in its current window, and when the window ends. */
export interface CounterState {
  totalHits: number;
  resetTime: Date;
}

/** A limiter's client as stored: a SHA-256 of the scope, the limiter and the client's key. */
export const counterKey = (scope: string, limiter: string, key: string) =>
  createHash('sha256').update(`${scope}\u0000${limiter}\u0000${key}`).digest('hex');

const toState = (row: { hits: number; resets_at: Date } | undefined): CounterState | undefined =>
  row ? { totalHits: Number(row.hits), resetTime: new Date(row.resets_at) } : undefined;

/**
 * Counts a hit in one statement: a client's first hit (or its first after its window ended) opens a
 * window of `windowMs` at 1; a hit within the window adds one. The row lock of the upsert makes
 * concurrent hits from any number of processes count each once. Times are the database's clock,
 * the same for every process.
 */
export async function incrementCounter(
  db: DataSource,
  keyHash: string,
  windowMs: number,
  hits = 1,
): Promise<CounterState> {
  const [row] = await db.query(
    `INSERT INTO rate_limit_counters AS c (key_hash, hits, resets_at)
     VALUES ($1, $3, now() + $2 * interval '1 millisecond')
     ON CONFLICT (key_hash) DO UPDATE
       SET hits = CASE WHEN c.resets_at <= now() THEN $3 ELSE c.hits + $3 END,
           resets_at = CASE WHEN c.resets_at <= now() THEN EXCLUDED.resets_at ELSE c.resets_at END
     RETURNING hits, resets_at`,
    [keyHash, windowMs, hits],
  );
  return toState(row)!;
}

/** The client's current window, or undefined when it has none open. */
export async function readCounter(db: DataSource, keyHash: string): Promise<CounterState | undefined> {
  const [row] = await db.query(
    'SELECT hits, resets_at FROM rate_limit_counters WHERE key_hash = $1 AND resets_at > now()',
    [keyHash],
  );
  return toState(row);
}

/** Takes back one hit of the current window (express-rate-limit's skipped requests). */
export async function decrementCounter(db: DataSource, keyHash: string): Promise<void> {
  await db.query(
    'UPDATE rate_limit_counters SET hits = hits - 1 WHERE key_hash = $1 AND resets_at > now() AND hits > 0',
    [keyHash],
  );
}

export async function deleteCounter(db: DataSource, keyHash: string): Promise<void> {
  await db.query('DELETE FROM rate_limit_counters WHERE key_hash = $1', [keyHash]);
}

/** Deletes the rows of windows that ended (by the resets_at index); answers how many. */
export async function deleteEndedCounters(db: DataSource): Promise<number> {
  const rows: unknown[] = await db.query(
    'DELETE FROM rate_limit_counters WHERE resets_at <= now() RETURNING 1 AS gone',
  );
  return rows.length;
}
