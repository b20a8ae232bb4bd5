import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APP_GROUP_ROLE } from './1765450000000-least-privilege-keyed-audit';

/**
 * The run chain that owns each case's workflow ID: the first run of a workflow claims its ID as it
 * starts. Someone with access to Temporal who terminates a case and starts it again with its own
 * sealed input gets a run of another chain, which finds the ID claimed and acts on nothing; the
 * retention sweep takes such a run as not the case's own. Rows are only added.
 */
export class WorkflowRunClaims1765600000000 implements MigrationInterface {
  name = 'WorkflowRunClaims1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE workflow_run_claims (
        workflow_id text PRIMARY KEY,
        first_run_id text NOT NULL,
        claimed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`REVOKE UPDATE, DELETE, TRUNCATE ON workflow_run_claims FROM ${APP_GROUP_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE workflow_run_claims');
  }
}
