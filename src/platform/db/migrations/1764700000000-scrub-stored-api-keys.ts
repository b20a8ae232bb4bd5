import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An API key issued with an Idempotency-Key had its whole answer, secret included, stored for
 * replay. The secret is shown once and kept nowhere: this removes it from answers stored before
 * the routes stopped storing it.
 */
export class ScrubStoredApiKeys1764700000000 implements MigrationInterface {
  name = 'ScrubStoredApiKeys1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE idempotency_keys SET response = jsonb_set(response, '{apiKey}', 'null'::jsonb)
       WHERE scope LIKE '%/api-keys%' AND jsonb_typeof(response) = 'object' AND response ? 'apiKey'
    `);
  }

  async down(): Promise<void> {
    // The secrets are gone; there is nothing to put back.
  }
}
