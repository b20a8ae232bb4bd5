import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The retention sweep deletes stored Idempotency-Key answers by age: an index for that. */
export class IdempotencyKeysAge1764800000000 implements MigrationInterface {
  name = 'IdempotencyKeysAge1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idempotency_keys_created_at');
  }
}
