/** The pool, or a transaction's manager: whatever runs a query. */
interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

// The SQL of erasing cases (../activities/erasure.ts explains what is erased and what stays).

/**
 * Calls erase_cases (migration 1765100000000): lock, erase, then append to the audit chain, in one
 * call. Returns the cases found, with the 1-based position of the input that erased each now (null
 * when it was erased before). Not a named prepared statement: the call is trivial to plan, the
 * function caches its own plans, and a named one would outlive a later migration that changes the
 * function's result.
 */
export async function callEraseCases(
  db: Queryable,
  caseIds: string[],
  ats: string[],
  reasons: string[],
): Promise<{ id: string; erased_by: string | null }[]> {
  return (await db.query(
    'SELECT erased_case::text AS id, erased_by FROM erase_cases($1::uuid[], $2::text[], $3::text[], $4::text[])',
    [caseIds, caseIds, ats, reasons],
  )) as { id: string; erased_by: string | null }[];
}
