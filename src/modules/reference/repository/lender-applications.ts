import type { EntityManager } from 'typeorm';

/** The SQL of applications made at lenders (多头借贷), stored by the ID number's blind index. */

/** Inserts the applications, a row sent again counted once; returns how many were new. */
export async function insertLenderApplications(
  m: EntityManager,
  idIndexes: string[],
  lenderIds: string[],
  appliedAt: string[],
): Promise<number> {
  const [{ n: recorded }] = await m.query(
    `WITH added AS (
         INSERT INTO lender_applications (id_index, lender_id, applied_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
         ON CONFLICT (id_index, lender_id, applied_at) DO NOTHING RETURNING 1)
       SELECT count(*)::int AS n FROM added`,
    [idIndexes, lenderIds, appliedAt],
  );
  return recorded;
}
