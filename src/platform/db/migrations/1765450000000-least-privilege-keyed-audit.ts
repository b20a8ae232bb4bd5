import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The group role the API and workers log in under (their login role is a member): DML only. */
export const APP_GROUP_ROLE = 'lead_app';

/** Tables whose rows are never changed or removed: the application may read and add, nothing more. */
export const APPEND_ONLY_TABLES = [
  'audit_events',
  'consents',
  'consent_notices',
  'channel_gradings',
  'erasure_records',
] as const;

/**
 * The HMAC-SHA256 of a link, `["<prev>",` + canonical tail, under the audit key of this connection.
 * The key never rests in the database: the service sets it per connection at connect time
 * (lead_audit.pads, the key's HMAC inner and outer pads, hex; lead_audit.key_id, its ID; see
 * `auditConnectionOptions` in src/platform/audit/keyring.ts). A connection without it cannot append.
 */
const MAC = (pads: string, prev: string, tail: string) =>
  `encode(sha256(substring(${pads} from 65 for 64) || sha256(substring(${pads} from 1 for 64) || convert_to('["' || ${prev} || '",' || ${tail}, 'UTF8'))), 'hex')`;

/**
 * Least privilege and a keyed audit chain.
 *
 * Roles: the migration runs as the owner role, which owns every object; the application's login
 * role joins `lead_app`, which gets DML on the tables (SELECT and INSERT only on append-only ones),
 * USAGE on the sequences and nothing else: no DDL (CREATE on public is revoked from PUBLIC), no
 * TRUNCATE, no trigger control (only an owner can disable a trigger), no superuser settings such
 * as session_replication_role. Default privileges give it the same on tables later migrations add.
 *
 * Chain: each new row's hash is an HMAC-SHA256 under the audit key named by its key_id, so nobody
 * without the key can re-link the chain after an edit. Rows written before (key_id NULL) stay the
 * plain SHA-256 chain they were written as; the first keyed row links to the last of them.
 * TRUNCATE is refused by a trigger, as UPDATE and DELETE already are.
 */
export class LeastPrivilegeKeyedAudit1765450000000 implements MigrationInterface {
  name = 'LeastPrivilegeKeyedAudit1765450000000';

  async up(q: QueryRunner): Promise<void> {
    const appendOnly = APPEND_ONLY_TABLES.join(', ');
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${APP_GROUP_ROLE}') THEN
          CREATE ROLE ${APP_GROUP_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
        END IF;
      END $$;
      REVOKE CREATE ON SCHEMA public FROM PUBLIC;
      GRANT USAGE ON SCHEMA public TO ${APP_GROUP_ROLE};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_GROUP_ROLE};
      REVOKE UPDATE, DELETE, TRUNCATE ON ${appendOnly} FROM ${APP_GROUP_ROLE};
      REVOKE ALL ON migrations FROM ${APP_GROUP_ROLE};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${APP_GROUP_ROLE};
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${APP_GROUP_ROLE};
      ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${APP_GROUP_ROLE};
    `);
    // Temporary tables are DDL too; the service never needs them.
    await q.query(
      `DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$`,
    );

    await q.query(`
      ALTER TABLE audit_events ADD COLUMN key_id text;
      CREATE FUNCTION append_only_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME; END $$;
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION append_only_no_truncate();
      CREATE TRIGGER consents_no_truncate BEFORE TRUNCATE ON consents FOR EACH STATEMENT EXECUTE FUNCTION append_only_no_truncate();
      CREATE TRIGGER consent_notices_no_truncate BEFORE TRUNCATE ON consent_notices FOR EACH STATEMENT EXECUTE FUNCTION append_only_no_truncate();

      CREATE FUNCTION audit_key_pads() RETURNS bytea LANGUAGE plpgsql STABLE AS $$
      DECLARE pads bytea := decode(nullif(current_setting('lead_audit.pads', true), ''), 'hex');
      BEGIN
        IF pads IS NULL OR length(pads) <> 128 OR coalesce(current_setting('lead_audit.key_id', true), '') = '' THEN
          RAISE EXCEPTION 'the audit key is not set on this connection (lead_audit.pads, lead_audit.key_id)';
        END IF;
        RETURN pads;
      END $$;
    `);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_append(p_at timestamptz, p_actor_sub text, p_actor_role text, p_action text, p_target_type text,
                                              p_target_id text, p_details jsonb, p_canonical_tail text)
      RETURNS text LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        pads bytea := audit_key_pads();
        prev text;
        next_hash text;
      BEGIN
        PERFORM pg_advisory_xact_lock(4242001);
        SELECT hash INTO prev FROM audit_events ORDER BY id DESC LIMIT 1;
        prev := coalesce(prev, 'genesis');
        next_hash := ${MAC('pads', 'prev', 'p_canonical_tail')};
        INSERT INTO audit_events (at, actor_sub, actor_role, action, target_type, target_id, details, prev_hash, hash, key_id)
        VALUES (p_at, p_actor_sub, p_actor_role, p_action, p_target_type, p_target_id, p_details, prev, next_hash, current_setting('lead_audit.key_id'));
        RETURN next_hash;
      END $$;
    `);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_append_many(p_at timestamptz[], p_actor_sub text[], p_actor_role text[], p_action text[], p_target_type text[],
                                                   p_target_id text[], p_details jsonb[], p_canonical_tail text[])
      RETURNS void LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        n int := coalesce(array_length(p_canonical_tail, 1), 0);
        pads bytea;
        prev text;
        prevs text[] := '{}';
        hashes text[] := '{}';
      BEGIN
        IF n = 0 THEN RETURN; END IF;
        IF array_length(p_at, 1) IS DISTINCT FROM n OR array_length(p_actor_sub, 1) IS DISTINCT FROM n
           OR array_length(p_actor_role, 1) IS DISTINCT FROM n OR array_length(p_action, 1) IS DISTINCT FROM n
           OR array_length(p_target_type, 1) IS DISTINCT FROM n OR array_length(p_target_id, 1) IS DISTINCT FROM n
           OR array_length(p_details, 1) IS DISTINCT FROM n THEN
          RAISE EXCEPTION 'audit_append_many: the arrays differ in length';
        END IF;
        pads := audit_key_pads();
        PERFORM pg_advisory_xact_lock(4242001);
        SELECT hash INTO prev FROM audit_events ORDER BY id DESC LIMIT 1;
        prev := coalesce(prev, 'genesis');
        FOR i IN 1..n LOOP
          prevs := prevs || prev;
          prev := ${MAC('pads', 'prev', 'p_canonical_tail[i]')};
          hashes := hashes || prev;
        END LOOP;
        INSERT INTO audit_events (at, actor_sub, actor_role, action, target_type, target_id, details, prev_hash, hash, key_id)
        SELECT e.at, e.actor_sub, e.actor_role, e.action, e.target_type, e.target_id, e.details, e.prev_hash, e.hash, current_setting('lead_audit.key_id')
          FROM unnest(p_at, p_actor_sub, p_actor_role, p_action, p_target_type, p_target_id, p_details, prevs, hashes)
               WITH ORDINALITY AS e(at, actor_sub, actor_role, action, target_type, target_id, details, prev_hash, hash, n)
         ORDER BY e.n;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER audit_events_no_truncate ON audit_events;
      DROP TRIGGER consents_no_truncate ON consents;
      DROP TRIGGER consent_notices_no_truncate ON consent_notices;
      DROP FUNCTION append_only_no_truncate();
    `);
    // audit_append and audit_append_many keep their keyed bodies: a chain once keyed stays keyed.
  }
}
