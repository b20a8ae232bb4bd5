import type { MigrationInterface, QueryRunner } from 'typeorm';

/** JSON text of a SQL value, byte for byte what JSON.stringify writes for it (a missing value is `null`). */
const json = (sql: string) => `coalesce(to_json(${sql})::text, 'null')`;

/**
 * The erasure of a set of cases, in one call from the worker (one round trip), as three statements
 * in order. `eraseCases` (src/modules/lead/activities/erasure.ts) calls it; the erasure tests check every step.
 *
 * 1. Lock the case rows in ID order, so two overlapping sets cannot deadlock. This is the only
 *    wait. In READ COMMITTED each statement of a plpgsql function takes a fresh snapshot, so the
 *    next one sees everything committed while we waited: a case erased meanwhile shows as erased,
 *    and a note or legal-hold reason written just before the lock came free is cleared with the rest.
 * 2. Erase every case not yet erased, with the first input that names it (for the retention
 *    sweep, only a case still due and not on legal hold, as it is now that it is locked): its de-identified facts
 *    (keys ageBand, regionPrefix, amountBand, tier, outcome, channelId, as JSON.stringify writes
 *    the object the erasure record has always held), and its evidence hash, SHA-256 of
 *    `[caseId, reason, at, facts]` as JSON.stringify writes it. The amount bands are those of
 *    `amountBand` (src/modules/lead/rules/deidentify.ts).
 * 3. Append the audit rows, last, because the chain's lock is then held until commit. Each row's
 *    canonical tail is the one `canonicalTail` (src/platform/audit/hash.ts) writes for
 *    `[at, "workflow", "system", "lead.erased", "lead_case", caseId, {evidenceHash, reason}]`, with
 *    `at` cut to milliseconds as a JavaScript Date holds it, so `verifyAuditChain` checks it.
 *
 * Returns one row per case found: its ID, and the 1-based position of the input that erased it now
 * (null when it was erased before).
 */
export class EraseCasesFunction1765100000000 implements MigrationInterface {
  name = 'EraseCasesFunction1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION erase_cases(p_ids uuid[], p_case_text text[], p_at text[], p_reason text[])
      RETURNS TABLE (erased_case uuid, erased_by bigint) LANGUAGE plpgsql VOLATILE AS $$
      #variable_conflict use_column
      DECLARE
        v_ids uuid[];
        v_n bigint[];
        v_text text[];
        v_reason text[];
        v_hash text[];
        v_count int;
        v_at timestamptz;
        v_at_iso text;
      BEGIN
        PERFORM id FROM lead_cases WHERE id = ANY(p_ids) ORDER BY id FOR UPDATE;

        WITH input AS (
          SELECT * FROM unnest(p_ids, p_case_text, p_at, p_reason) WITH ORDINALITY AS i(id, case_text, at_text, reason, n)
        ), target AS (
          SELECT DISTINCT ON (l.id) l.id, i.case_text, i.at_text, i.reason, i.n,
                 '{"ageBand":' || ${json('l.age_band')} || ',"regionPrefix":' || ${json('l.region_prefix')}
                 || ',"amountBand":' || ${json(`CASE WHEN l.amount_cny < 50000 THEN '<50k' WHEN l.amount_cny < 100000 THEN '50k-100k'
                      WHEN l.amount_cny < 200000 THEN '100k-200k' WHEN l.amount_cny < 300000 THEN '200k-300k' ELSE '>=300k' END`)}
                 || ',"tier":' || ${json('l.risk_tier')} || ',"outcome":' || ${json('l.outcome')}
                 || ',"channelId":' || ${json('l.channel_id')} || '}' AS facts
            FROM lead_cases l JOIN input i ON i.id = l.id
           WHERE l.erased_at IS NULL
             -- The sweep chose its cases before this lock: one put on hold, or given a later
             -- retention date, since then is not its to erase. A workflow's own erasure is not
             -- checked here: the workflow waits out its holds itself.
             AND NOT (i.reason = 'retention_sweep' AND (l.legal_hold OR l.retention_due_at IS NULL OR l.retention_due_at > i.at_text::timestamptz))
           ORDER BY l.id, i.n
        ), hashed AS (
          SELECT t.*, encode(sha256(convert_to(
                   '[' || ${json('t.case_text')} || ',' || ${json('t.reason')} || ',' || ${json('t.at_text')} || ',' || t.facts || ']', 'UTF8')), 'hex') AS evidence_hash
            FROM target t
        ), identities_gone AS (
          DELETE FROM identities WHERE case_id IN (SELECT id FROM hashed)
        ), keys_gone AS (
          DELETE FROM lead_data_keys WHERE case_id IN (SELECT id FROM hashed)
        ), credit_gone AS (
          DELETE FROM credit_facts WHERE case_id IN (SELECT id FROM hashed)
        ), notes_gone AS (
          UPDATE contact_log SET note = NULL WHERE case_id IN (SELECT id FROM hashed) AND note IS NOT NULL
        ), reasons_gone AS (
          UPDATE decisions SET result = result - 'reason' WHERE case_id IN (SELECT id FROM hashed) AND result ? 'reason'
        ), hold_reasons_gone AS (
          UPDATE legal_hold_events SET reason = NULL WHERE case_id IN (SELECT id FROM hashed) AND reason IS NOT NULL
        ), cases_closed AS (
          UPDATE lead_cases lc SET id_index = NULL, phone_index = NULL, device_index = NULL, age_at_intake = NULL,
                 region_mismatches = '{}', is_open = false, erased_at = h.at_text::timestamptz, updated_at = now()
            FROM hashed h WHERE lc.id = h.id
        ), recorded AS (
          INSERT INTO erasure_records (case_id, reason, erased_at, evidence_hash, facts)
          SELECT id, reason, at_text::timestamptz, evidence_hash, facts::jsonb FROM hashed
        )
        SELECT array_agg(h.id ORDER BY h.n), array_agg(h.n ORDER BY h.n), array_agg(h.case_text ORDER BY h.n),
               array_agg(h.reason ORDER BY h.n), array_agg(h.evidence_hash ORDER BY h.n), count(*)
          INTO v_ids, v_n, v_text, v_reason, v_hash, v_count
          FROM hashed h;

        IF v_count > 0 THEN
          v_at := date_trunc('milliseconds', clock_timestamp());
          v_at_iso := to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
          PERFORM audit_append_many(
            array_fill(v_at, ARRAY[v_count]), array_fill('workflow'::text, ARRAY[v_count]), array_fill('system'::text, ARRAY[v_count]),
            array_fill('lead.erased'::text, ARRAY[v_count]), array_fill('lead_case'::text, ARRAY[v_count]), v_text,
            ARRAY(SELECT jsonb_build_object('reason', x.r, 'evidenceHash', x.h) FROM unnest(v_reason, v_hash) WITH ORDINALITY AS x(r, h, o) ORDER BY x.o),
            ARRAY(SELECT ${json('v_at_iso')} || ',"workflow","system","lead.erased","lead_case",' || ${json('x.t')}
                         || ',{"evidenceHash":' || ${json('x.h')} || ',"reason":' || ${json('x.r')} || '}]'
                    FROM unnest(v_text, v_hash, v_reason) WITH ORDINALITY AS x(t, h, r, o) ORDER BY x.o)
          );
        END IF;

        RETURN QUERY
          SELECT l.id, x.n FROM lead_cases l LEFT JOIN unnest(v_ids, v_n) AS x(id, n) ON x.id = l.id WHERE l.id = ANY(p_ids);
      END $$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION erase_cases(uuid[], text[], text[], text[])');
  }
}
