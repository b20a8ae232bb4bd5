import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_GROUP_ROLE } from './1765450000000-least-privilege-keyed-audit';

/**
 * The rate-limit counters every API process shares (src/platform/http/rate-limit-store.ts): one row
 * per limiter and client, holding the hits of its current window and when that window ends. A
 * client is kept as a SHA-256 of its key, never its address or subject. Rows of ended windows are
 * reset on their next hit and deleted by the store's sweep; the table holds at most a few minutes.
 */
export class SharedRateLimits1765730000000 implements MigrationInterface {
  name = 'SharedRateLimits1765730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rate_limit_counters (
        key_hash text PRIMARY KEY,
        hits integer NOT NULL CHECK (hits >= 0),
        resets_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX rate_limit_counters_resets_at ON rate_limit_counters (resets_at)');
    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_counters TO ${APP_GROUP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rate_limit_counters');
  }
}
