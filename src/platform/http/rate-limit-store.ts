import type { DataSource } from 'typeorm';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import {
  counterKey,
  decrementCounter,
  deleteCounter,
  deleteEndedCounters,
  incrementCounter,
  readCounter,
} from '../db/rate-limit-counters';

/** At most one sweep of ended windows per this interval per store. */
const SWEEP_EVERY_MS = 60_000;

/**
 * express-rate-limit's counters in Postgres (table rate_limit_counters), shared by every API
 * process on the database, so a limit holds across replicas instead of per process. `scope`
 * (RATE_LIMIT_SCOPE) keeps deployments, or test runs, that share a database apart; `limiter` names
 * the limit. Each hit is one upsert; ended windows are reset on their next hit and swept from the
 * table at most once a minute, after a hit, without holding the request up.
 */
export class PostgresRateLimitStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private limit = Infinity;
  private lastSweep = Date.now();
  /** Batched mode: each client's hits since this process last wrote them, and the total it then read. */
  private readonly local = new Map<string, { shared: number; pending: number; resetMs: number; syncedAt: number }>();

  /**
   * `batchMs`, for a limit on the hot path: a process writes a client's hits at most every
   * `batchMs` while the client is below half its limit, counting in memory between writes, and on
   * every hit from half the limit on. Far from the limit a request then costs no database round
   * trip; near it the count is exact across replicas once each has written (N replicas may admit
   * up to N/2 limits before that, so with two it is exact).
   */
  constructor(
    private readonly db: DataSource,
    private readonly scope: string,
    readonly prefix: string,
    private readonly batchMs = 0,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
    if (typeof options.limit === 'number') this.limit = options.limit;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return readCounter(this.db, this.keyOf(key));
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const hashed = this.keyOf(key);
    if (this.batchMs > 0) {
      const counted = this.countLocally(hashed);
      if (counted) return counted;
    }
    const entry = this.local.get(hashed);
    const hits = entry && Date.now() < entry.resetMs ? entry.pending + 1 : 1;
    const state = await incrementCounter(this.db, hashed, this.windowMs, hits);
    if (this.batchMs > 0) {
      this.local.set(hashed, {
        shared: state.totalHits,
        pending: 0,
        resetMs: state.resetTime.getTime(),
        syncedAt: Date.now(),
      });
    }
    this.sweepNowAndThen();
    return state;
  }

  /** A hit counted in memory, or undefined when this one must be written (and the total read). */
  private countLocally(hashed: string): ClientRateLimitInfo | undefined {
    const e = this.local.get(hashed);
    const now = Date.now();
    if (!e || now >= e.resetMs || now - e.syncedAt >= this.batchMs) return undefined;
    if (e.shared + e.pending + 1 >= this.limit / 2) return undefined;
    e.pending += 1;
    return { totalHits: e.shared + e.pending, resetTime: new Date(e.resetMs) };
  }

  async decrement(key: string): Promise<void> {
    const e = this.local.get(this.keyOf(key));
    if (e && e.pending > 0) e.pending -= 1;
    else await decrementCounter(this.db, this.keyOf(key));
  }

  async resetKey(key: string): Promise<void> {
    await deleteCounter(this.db, this.keyOf(key));
  }

  private keyOf(key: string): string {
    return counterKey(this.scope, this.prefix, key);
  }

  private sweepNowAndThen(): void {
    if (Date.now() - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = Date.now();
    for (const [k, e] of this.local) if (e.resetMs <= this.lastSweep) this.local.delete(k);
    deleteEndedCounters(this.db).catch(() => undefined); // the next sweep tries again
  }
}
