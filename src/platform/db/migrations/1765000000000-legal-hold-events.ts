import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The lead case's legal holds, placed and released, with their reasons. A reason is free text and
 * may name the person (a court file, a police request), so it lives here, where erasure clears it
 * with the case's other free text, and not in the audit chain, which is kept for ever and cannot
 * change. The audit row names the event by its ID. `request_key` is the workflow Update ID of a
 * request sent with an Idempotency-Key, so a retried request records its event once.
 */
export class LegalHoldEvents1765000000000 implements MigrationInterface {
  name = 'LegalHoldEvents1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE legal_hold_events (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES lead_cases(id),
        hold boolean NOT NULL,
        reason text,
        actor text NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        request_key text UNIQUE
      )`);
    await q.query('CREATE INDEX legal_hold_events_case ON legal_hold_events (case_id, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE legal_hold_events');
  }
}
