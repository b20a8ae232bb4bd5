import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Channel reviews (渠道把关): lenders' loan-performance reports, the grading record with the figures
 * behind each grade, managers' overrides, a fraud flag on each case for the channel figures, and
 * the indexes that keep the period reports fast at a million cases.
 */
export class ChannelReviews1764100000000 implements MigrationInterface {
  name = 'ChannelReviews1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE lead_cases ADD COLUMN fraud_flagged boolean NOT NULL DEFAULT false;
      UPDATE lead_cases c SET fraud_flagged = true
       WHERE EXISTS (SELECT 1 FROM decisions d, jsonb_array_elements(d.rules_fired) r
                      WHERE d.case_id = c.id AND d.kind = 'prescreen'
                        AND r->>'code' IN ('blacklisted','device_reused','multi_lender_applications'));

      -- The latest status a lender reported for a loan it made on one of our cases.
      CREATE TABLE loan_performance (
        case_id uuid PRIMARY KEY REFERENCES lead_cases(id), lender_id text NOT NULL REFERENCES lenders(id),
        status text NOT NULL CHECK (status IN ('performing','overdue','bad','repaid')),
        as_of date NOT NULL, reported_by text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());

      ALTER TABLE channels
        ADD COLUMN suspended_by text CHECK (suspended_by IN ('review','override','admin')),
        ADD COLUMN graded_at timestamptz,
        ADD COLUMN override_grade text CHECK (override_grade IN ('premium','general','risk')),
        ADD COLUMN override_suspended boolean,
        ADD COLUMN override_reason text, ADD COLUMN override_by text,
        ADD COLUMN override_at timestamptz, ADD COLUMN override_until timestamptz;
      UPDATE channels SET suspended_by = 'admin' WHERE suspended;

      -- One row per channel per review (and per override): the grade before and after and why.
      CREATE TABLE channel_gradings (
        id bigserial PRIMARY KEY, review_id text NOT NULL, channel_id text NOT NULL REFERENCES channels(id),
        source text NOT NULL CHECK (source IN ('review','override','override_cleared')),
        at timestamptz NOT NULL, window_from timestamptz, window_to timestamptz,
        computed_grade text, computed_suspend boolean, judged boolean,
        grade_before text NOT NULL, suspended_before boolean NOT NULL,
        grade_after text NOT NULL, suspended_after boolean NOT NULL,
        figures jsonb NOT NULL DEFAULT '{}'::jsonb, reasons jsonb NOT NULL DEFAULT '[]'::jsonb,
        decided_by text NOT NULL,
        UNIQUE (review_id, channel_id));
      CREATE INDEX channel_gradings_channel ON channel_gradings (channel_id, at DESC);
      CREATE FUNCTION channel_gradings_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'channel_gradings is append-only'; END $$;
      CREATE TRIGGER channel_gradings_no_update BEFORE UPDATE OR DELETE ON channel_gradings
        FOR EACH ROW EXECUTE FUNCTION channel_gradings_append_only();

      -- Period reports: the funnel over all channels, per broker, and SLA breaches by their marks.
      CREATE INDEX lead_cases_created ON lead_cases (created_at);
      CREATE INDEX lead_cases_broker_created ON lead_cases (broker_id, created_at);
      CREATE INDEX notifications_kind_created ON notifications (kind, created_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX notifications_kind_created; DROP INDEX lead_cases_broker_created; DROP INDEX lead_cases_created;
      DROP TABLE channel_gradings; DROP FUNCTION channel_gradings_append_only();
      ALTER TABLE channels DROP COLUMN suspended_by, DROP COLUMN graded_at, DROP COLUMN override_grade, DROP COLUMN override_suspended,
        DROP COLUMN override_reason, DROP COLUMN override_by, DROP COLUMN override_at, DROP COLUMN override_until;
      DROP TABLE loan_performance;
      ALTER TABLE lead_cases DROP COLUMN fraud_flagged;
    `);
  }
}
