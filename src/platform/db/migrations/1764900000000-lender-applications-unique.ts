import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per application: a report sent twice (a retry, an overlapping export) counts once in the
 * pre-screen's multi-lender rule (多头借贷). Duplicates already stored are folded first.
 */
export class LenderApplicationsUnique1764900000000 implements MigrationInterface {
  name = 'LenderApplicationsUnique1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM lender_applications a USING lender_applications b
       WHERE a.id > b.id AND a.id_index = b.id_index AND a.lender_id = b.lender_id AND a.applied_at = b.applied_at;
      CREATE UNIQUE INDEX lender_applications_once ON lender_applications (id_index, lender_id, applied_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX lender_applications_once');
  }
}
