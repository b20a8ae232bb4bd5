import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Complaints (客诉): one row per complaint with the projection of its workflow, the events people
 * and timers added, and the data keys of complaints that have no case key to be sealed under.
 */
export class Complaints1764200000000 implements MigrationInterface {
  name = 'Complaints1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE complaints (
        id uuid PRIMARY KEY, workflow_id text NOT NULL UNIQUE,
        case_id uuid REFERENCES lead_cases(id), channel_id text, broker_id text,
        category text NOT NULL CHECK (category IN ('rate_dispute','service_attitude','disbursement_delay','privacy','harassment','other')),
        requested_priority text NOT NULL CHECK (requested_priority IN ('high','normal','low')),
        priority text NOT NULL CHECK (priority IN ('high','normal','low')),
        priority_raised_by text[] NOT NULL DEFAULT '{}',
        about_contact boolean NOT NULL,
        do_not_contact text NOT NULL CHECK (do_not_contact IN ('not_needed','requested','applied','case_finished')),
        state text NOT NULL CHECK (state IN ('awaiting_response','in_progress','escalated','closed','erased')),
        filed_by text NOT NULL, filed_at timestamptz NOT NULL,
        -- Description and customer contact, sealed (src/modules/complaint/crypto.ts); NULL once erased.
        key_scope text NOT NULL CHECK (key_scope IN ('case','complaint')),
        sealed bytea,
        first_response_due_at timestamptz NOT NULL, first_responded_at timestamptz,
        late_first_response boolean NOT NULL DEFAULT false,
        resolution_due_at timestamptz NOT NULL, late_resolution boolean NOT NULL DEFAULT false,
        next_due_at timestamptz,
        escalated_teams text[], escalated_at timestamptz,
        times_reopened integer NOT NULL DEFAULT 0,
        resolution text, satisfaction text CHECK (satisfaction IN ('satisfied','neutral','dissatisfied')),
        closed_at timestamptz, retention_due_at timestamptz, erased_at timestamptz,
        projection_seq integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      -- Lists: newest first, by state, priority or case, and the open ones past their next due time.
      CREATE INDEX complaints_filed ON complaints (filed_at DESC, id DESC);
      CREATE INDEX complaints_state ON complaints (state, filed_at DESC);
      CREATE INDEX complaints_priority ON complaints (priority, filed_at DESC);
      CREATE INDEX complaints_case ON complaints (case_id, filed_at DESC) WHERE case_id IS NOT NULL;
      CREATE INDEX complaints_overdue ON complaints (next_due_at) WHERE state IN ('awaiting_response','in_progress','escalated');
      -- Reports group a period's complaints by channel or broker.
      CREATE INDEX complaints_channel ON complaints (channel_id, filed_at);
      CREATE INDEX complaints_broker ON complaints (broker_id, filed_at);

      CREATE TABLE complaint_data_keys (
        complaint_id uuid PRIMARY KEY REFERENCES complaints(id), master_key_id text NOT NULL,
        wrapped_key bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());

      CREATE TABLE complaint_events (
        id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, complaint_id uuid NOT NULL REFERENCES complaints(id),
        kind text NOT NULL, actor text NOT NULL, at timestamptz NOT NULL, details jsonb NOT NULL DEFAULT '{}'::jsonb,
        note_sealed bytea);
      CREATE INDEX complaint_events_complaint ON complaint_events (complaint_id, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE complaint_events, complaint_data_keys, complaints');
  }
}
