import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys for channel partners: stored as hashes, each tied to one channel. */
export class ChannelApiKeys1763900000000 implements MigrationInterface {
  name = 'ChannelApiKeys1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE channel_api_keys (
        key_id text PRIMARY KEY, channel_id text NOT NULL REFERENCES channels(id), label text NOT NULL,
        secret_hash text NOT NULL, created_by text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz);
      CREATE INDEX channel_api_keys_channel ON channel_api_keys (channel_id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE channel_api_keys');
  }
}
