import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One round trip to append to the audit hash chain: the function takes the chain's lock, reads the
 * last hash and inserts the new row in a single statement, so the lock is held from there to the
 * commit only (it was held across three round trips). The hash is the one `auditHash` computes:
 * SHA-256 of the canonical JSON `["<prev_hash>",<tail>`, where the caller passes the tail (the
 * row's canonical fields and the closing bracket), so the chain and its verification do not change.
 * A VOLATILE function takes a fresh snapshot for each statement: the read after the lock sees the
 * row of the writer that held it before.
 */
export class AuditAppend1764300000000 implements MigrationInterface {
  name = 'AuditAppend1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_append(p_at timestamptz, p_actor_sub text, p_actor_role text, p_action text, p_target_type text,
                                   p_target_id text, p_details jsonb, p_canonical_tail text)
      RETURNS text LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        prev text;
        next_hash text;
      BEGIN
        PERFORM pg_advisory_xact_lock(4242001);
        SELECT hash INTO prev FROM audit_events ORDER BY id DESC LIMIT 1;
        prev := coalesce(prev, 'genesis');
        next_hash := encode(sha256(convert_to('["' || prev || '",' || p_canonical_tail, 'UTF8')), 'hex');
        INSERT INTO audit_events (at, actor_sub, actor_role, action, target_type, target_id, details, prev_hash, hash)
        VALUES (p_at, p_actor_sub, p_actor_role, p_action, p_target_type, p_target_id, p_details, prev, next_hash);
        RETURN next_hash;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION audit_append(timestamptz, text, text, text, text, text, jsonb, text)');
  }
}
