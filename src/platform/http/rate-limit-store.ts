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
  private lastSweep = Date.now();

  constructor(
    private readonly db: DataSource,
    private readonly scope: string,
    readonly prefix: string,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return readCounter(this.db, this.keyOf(key));
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const state = await incrementCounter(this.db, this.keyOf(key), this.windowMs);
    this.sweepNowAndThen();
    return state;
  }

  async decrement(key: string): Promise<void> {
    await decrementCounter(this.db, this.keyOf(key));
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
    deleteEndedCounters(this.db).catch(() => undefined); // the next sweep tries again
  }
}
