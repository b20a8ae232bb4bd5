import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The core tables of the lead-case engine. */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lenders (
        id text PRIMARY KEY, name text NOT NULL, licence_no text NOT NULL,
        licensed boolean NOT NULL, active boolean NOT NULL, demo boolean NOT NULL DEFAULT false);
      CREATE TABLE products (
        id text PRIMARY KEY, lender_id text NOT NULL REFERENCES lenders(id), name text NOT NULL,
        apr_min_pct numeric(5,2) NOT NULL, apr_max_pct numeric(5,2) NOT NULL,
        amount_min integer NOT NULL, amount_max integer NOT NULL,
        term_min_months integer NOT NULL, term_max_months integer NOT NULL,
        secured boolean NOT NULL, disbursement_days integer NOT NULL,
        eligible_tiers text[] NOT NULL, provinces text[], allows_non_local boolean NOT NULL,
        age_min integer NOT NULL, age_max integer NOT NULL, commission_pct numeric(5,2) NOT NULL DEFAULT 0,
        active boolean NOT NULL, demo boolean NOT NULL DEFAULT false,
        CHECK (apr_min_pct <= apr_max_pct), CHECK (amount_min <= amount_max), CHECK (term_min_months <= term_max_months));
      CREATE TABLE channels (
        id text PRIMARY KEY, name text NOT NULL,
        type text NOT NULL CHECK (type IN ('online','offline','intermediary','social')),
        partner text NOT NULL, grade text NOT NULL CHECK (grade IN ('premium','general','risk')),
        suspended boolean NOT NULL DEFAULT false, suspension_reason text,
        cac_cny integer NOT NULL DEFAULT 0, team text, demo boolean NOT NULL DEFAULT false);
      CREATE TABLE brokers (
        id text PRIMARY KEY, display_name text NOT NULL, team text NOT NULL,
        active boolean NOT NULL, demo boolean NOT NULL DEFAULT false);

      CREATE TABLE lead_cases (
        id uuid PRIMARY KEY, workflow_id text NOT NULL UNIQUE,
        channel_id text NOT NULL REFERENCES channels(id), channel_grade text NOT NULL,
        stage text NOT NULL, is_open boolean NOT NULL DEFAULT true,
        risk_tier text CHECK (risk_tier IN ('A','B','C')), broker_id text REFERENCES brokers(id),
        consent_state text NOT NULL DEFAULT 'none', vulnerable boolean NOT NULL, is_local boolean NOT NULL,
        amount_cny integer NOT NULL CHECK (amount_cny > 0), term_months integer NOT NULL CHECK (term_months > 0),
        loan_purpose text NOT NULL, occupation text NOT NULL, age_band text NOT NULL,
        province_code text NOT NULL, region_prefix text NOT NULL, age_at_intake integer,
        region_mismatches text[] NOT NULL DEFAULT '{}',
        id_index text, phone_index text, device_index text,
        sla_due_at timestamptz, sla_kind text, do_not_contact boolean NOT NULL DEFAULT false,
        selected_product_id text, outcome text, closed_at timestamptz, retention_due_at timestamptz,
        legal_hold boolean NOT NULL DEFAULT false, erased_at timestamptz,
        submitted_by text NOT NULL DEFAULT 'unknown', projection_seq integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now());
      -- One open case per person (撞单): a second intake by the same ID number or phone joins it.
      CREATE UNIQUE INDEX lead_cases_open_id_index ON lead_cases (id_index) WHERE is_open AND id_index IS NOT NULL;
      CREATE UNIQUE INDEX lead_cases_open_phone_index ON lead_cases (phone_index) WHERE is_open AND phone_index IS NOT NULL;
      CREATE INDEX lead_cases_device_recent ON lead_cases (device_index, created_at) WHERE device_index IS NOT NULL;
      CREATE INDEX lead_cases_stage ON lead_cases (stage, created_at DESC);
      CREATE INDEX lead_cases_broker_open ON lead_cases (broker_id) WHERE is_open;
      CREATE INDEX lead_cases_channel ON lead_cases (channel_id, created_at DESC);
      CREATE INDEX lead_cases_sla_due ON lead_cases (sla_due_at) WHERE is_open AND sla_due_at IS NOT NULL;
      CREATE INDEX lead_cases_retention_due ON lead_cases (retention_due_at) WHERE erased_at IS NULL AND retention_due_at IS NOT NULL;

      CREATE TABLE lead_data_keys (
        case_id uuid PRIMARY KEY REFERENCES lead_cases(id), master_key_id text NOT NULL,
        wrapped_key bytea NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE identities (
        case_id uuid PRIMARY KEY REFERENCES lead_cases(id), sealed bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE credit_facts (
        case_id uuid PRIMARY KEY REFERENCES lead_cases(id),
        monthly_income integer NOT NULL CHECK (monthly_income >= 0),
        monthly_debt integer NOT NULL CHECK (monthly_debt >= 0));
      CREATE TABLE lead_intakes (
        id bigserial PRIMARY KEY, case_id uuid NOT NULL REFERENCES lead_cases(id),
        channel_id text NOT NULL, kind text NOT NULL CHECK (kind IN ('new','duplicate')),
        matched_on text, at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX lead_intakes_case ON lead_intakes (case_id);

      CREATE TABLE blacklist_entries (blind_index text PRIMARY KEY, reason text NOT NULL, added_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE lender_applications (
        id bigserial PRIMARY KEY, id_index text NOT NULL, lender_id text NOT NULL, applied_at timestamptz NOT NULL);
      CREATE INDEX lender_applications_person ON lender_applications (id_index, applied_at);

      CREATE TABLE consent_notices (
        version text PRIMARY KEY, text text NOT NULL, content_hash text NOT NULL,
        published_at timestamptz NOT NULL DEFAULT now());
      CREATE TABLE consents (
        id bigserial PRIMARY KEY, event_id text NOT NULL, case_id uuid NOT NULL REFERENCES lead_cases(id),
        purpose text NOT NULL CHECK (purpose IN ('credit_assessment','lender_sharing','marketing')),
        action text NOT NULL CHECK (action IN ('grant','withdraw')),
        notice_version text REFERENCES consent_notices(version), source text NOT NULL,
        evidence jsonb NOT NULL DEFAULT '{}'::jsonb, at timestamptz NOT NULL,
        UNIQUE (event_id, purpose));
      CREATE INDEX consents_case ON consents (case_id, at);

      CREATE TABLE decisions (
        id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, case_id uuid NOT NULL REFERENCES lead_cases(id),
        kind text NOT NULL, tier text, outcome text, rules_fired jsonb NOT NULL DEFAULT '[]'::jsonb,
        inputs jsonb NOT NULL DEFAULT '{}'::jsonb, result jsonb NOT NULL DEFAULT '{}'::jsonb,
        decided_by text NOT NULL, decided_at timestamptz NOT NULL);
      CREATE INDEX decisions_case ON decisions (case_id, decided_at);

      CREATE TABLE contact_log (
        id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, case_id uuid NOT NULL REFERENCES lead_cases(id),
        broker_id text NOT NULL, channel text NOT NULL, purpose text NOT NULL, outcome text NOT NULL,
        note text, local_day text NOT NULL, at timestamptz NOT NULL);
      CREATE INDEX contact_log_case_day ON contact_log (case_id, local_day);

      CREATE TABLE notifications (
        id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE, kind text NOT NULL, case_id uuid,
        recipient_role text NOT NULL, recipient_id text, payload jsonb NOT NULL,
        status text NOT NULL DEFAULT 'pending', attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz);
      CREATE INDEX notifications_pending ON notifications (created_at) WHERE status = 'pending';

      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor_sub text NOT NULL, actor_role text NOT NULL,
        action text NOT NULL, target_type text NOT NULL, target_id text, details jsonb NOT NULL DEFAULT '{}'::jsonb,
        prev_hash text NOT NULL, hash text NOT NULL UNIQUE);
      CREATE INDEX audit_events_target ON audit_events (target_type, target_id);
      -- Append-only: the application role may insert but never change or remove an audit row.
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$;
      CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

      CREATE TABLE idempotency_keys (
        scope text NOT NULL, key text NOT NULL, request_hash text NOT NULL, status_code integer NOT NULL,
        response jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, key));

      CREATE TABLE erasure_records (
        case_id uuid PRIMARY KEY REFERENCES lead_cases(id), reason text NOT NULL, erased_at timestamptz NOT NULL,
        evidence_hash text NOT NULL, facts jsonb NOT NULL);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE erasure_records, idempotency_keys, audit_events, notifications, contact_log, decisions,
        consents, consent_notices, lender_applications, blacklist_entries, lead_intakes, credit_facts,
        identities, lead_data_keys, lead_cases, brokers, channels, products, lenders;
      DROP FUNCTION audit_events_append_only();
    `);
  }
}
