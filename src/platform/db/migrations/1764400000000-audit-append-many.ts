import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Appends a set of events to the audit hash chain in one call: the chain's lock is taken and the
 * last hash read once for the whole set, the links are computed in order in memory, and the rows go
 * in with one INSERT, in the order given (so their ids follow the chain). Each hash is the one
 * `audit_append` (migration 1764300000000) and `auditHash` compute from the same canonical tail, so
 * the chain and its verification do not change. Calling audit_append once per row cost a lock call,
 * a read of the last row and an insert each: about a tenth of a millisecond per row, which was a
 * third of a batch of erasures.
 */
export class AuditAppendMany1764400000000 implements MigrationInterface {
  name = 'AuditAppendMany1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_append_many(p_at timestamptz[], p_actor_sub text[], p_actor_role text[], p_action text[], p_target_type text[],
                                        p_target_id text[], p_details jsonb[], p_canonical_tail text[])
      RETURNS void LANGUAGE plpgsql VOLATILE AS $$
      DECLARE
        n int := coalesce(array_length(p_canonical_tail, 1), 0);
        prev text;
        prevs text[] := '{}';
        hashes text[] := '{}';
      BEGIN
        IF n = 0 THEN RETURN; END IF;
        -- A shorter array would store NULLs the hash does not cover: refuse rather than break the chain quietly.
        IF array_length(p_at, 1) IS DISTINCT FROM n OR array_length(p_actor_sub, 1) IS DISTINCT FROM n
           OR array_length(p_actor_role, 1) IS DISTINCT FROM n OR array_length(p_action, 1) IS DISTINCT FROM n
           OR array_length(p_target_type, 1) IS DISTINCT FROM n OR array_length(p_target_id, 1) IS DISTINCT FROM n
           OR array_length(p_details, 1) IS DISTINCT FROM n THEN
          RAISE EXCEPTION 'audit_append_many: the arrays differ in length';
        END IF;
        PERFORM pg_advisory_xact_lock(4242001);
        SELECT hash INTO prev FROM audit_events ORDER BY id DESC LIMIT 1;
        prev := coalesce(prev, 'genesis');
        FOR i IN 1..n LOOP
          prevs := prevs || prev;
          prev := encode(sha256(convert_to('["' || prev || '",' || p_canonical_tail[i], 'UTF8')), 'hex');
          hashes := hashes || prev;
        END LOOP;
        INSERT INTO audit_events (at, actor_sub, actor_role, action, target_type, target_id, details, prev_hash, hash)
        SELECT e.at, e.actor_sub, e.actor_role, e.action, e.target_type, e.target_id, e.details, e.prev_hash, e.hash
          FROM unnest(p_at, p_actor_sub, p_actor_role, p_action, p_target_type, p_target_id, p_details, prevs, hashes)
               WITH ORDINALITY AS e(at, actor_sub, actor_role, action, target_type, target_id, details, prev_hash, hash, n)
         ORDER BY e.n;
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      'DROP FUNCTION audit_append_many(timestamptz[], text[], text[], text[], text[], text[], jsonb[], text[])',
    );
  }
}
