import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who set a case's retention date. NULL: its own workflow, as it closed. `workflow_not_running`:
 * the retention sweep, for a case whose workflow ended without erasing it (failed, terminated,
 * timed out, gone); before erasing such a case the sweep checks again that its workflow is still
 * not running, so a date it gave can never erase a case that a running workflow owns.
 */
export class RetentionBasis1765500000000 implements MigrationInterface {
  name = 'RetentionBasis1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE lead_cases ADD COLUMN retention_basis text CHECK (retention_basis IN ('workflow_not_running'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE lead_cases DROP COLUMN retention_basis');
  }
}
