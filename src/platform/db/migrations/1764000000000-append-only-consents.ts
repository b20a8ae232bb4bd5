import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The consent ledger is evidence: rows are added, never changed or removed. */
export class AppendOnlyConsents1764000000000 implements MigrationInterface {
  name = 'AppendOnlyConsents1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION consents_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the consent ledger is append-only'; END $$;
      CREATE TRIGGER consents_no_update BEFORE UPDATE OR DELETE ON consents FOR EACH ROW EXECUTE FUNCTION consents_append_only();
      CREATE TRIGGER consent_notices_no_update BEFORE UPDATE OR DELETE ON consent_notices FOR EACH ROW EXECUTE FUNCTION consents_append_only();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER consent_notices_no_update ON consent_notices;
      DROP TRIGGER consents_no_update ON consents;
      DROP FUNCTION consents_append_only();
    `);
  }
}
