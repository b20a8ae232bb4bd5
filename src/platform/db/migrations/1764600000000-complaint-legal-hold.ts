import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Whether a complaint is under legal hold: its description is then kept past its retention. */
export class ComplaintLegalHold1764600000000 implements MigrationInterface {
  name = 'ComplaintLegalHold1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE complaints ADD COLUMN legal_hold boolean NOT NULL DEFAULT false');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE complaints DROP COLUMN legal_hold');
  }
}
