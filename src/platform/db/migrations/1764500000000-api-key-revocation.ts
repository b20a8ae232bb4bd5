import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who revoked a channel's API key and why. `revoked_at` may lie in the future: a rotation keeps the
 * old key working for an overlap, and a key is refused from `revoked_at` on.
 */
export class ApiKeyRevocation1764500000000 implements MigrationInterface {
  name = 'ApiKeyRevocation1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE channel_api_keys ADD COLUMN revoked_by text, ADD COLUMN revoke_reason text,
        ADD COLUMN replaced_by text REFERENCES channel_api_keys(key_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'ALTER TABLE channel_api_keys DROP COLUMN replaced_by, DROP COLUMN revoke_reason, DROP COLUMN revoked_by',
    );
  }
}
