import type { EntityManager } from 'typeorm';

// The SQL of lenders' loan reports; recordLoanPerformance in ../service/channels.ts holds the checks.

type Queryable = Pick<EntityManager, 'query'>;

/** The case's outcome, or undefined when there is no such case. */
export async function findCaseOutcome(m: Queryable, caseId: string): Promise<{ outcome: string | null } | undefined> {
  const [c] = await m.query('SELECT outcome FROM lead_cases WHERE id = $1', [caseId]);
  return c;
}

export async function lenderExists(m: Queryable, lenderId: string): Promise<boolean> {
  const [lender] = await m.query('SELECT 1 FROM lenders WHERE id = $1', [lenderId]);
  return Boolean(lender);
}

/** Stores a lender's report on the case's loan; the latest report replaces the one before. */
export async function upsertLoanPerformance(
  m: Queryable,
  r: { caseId: string; lenderId: string; status: string; asOf: string; reportedBy: string },
): Promise<void> {
  await m.query(
    `INSERT INTO loan_performance (case_id, lender_id, status, as_of, reported_by) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (case_id) DO UPDATE SET lender_id = EXCLUDED.lender_id, status = EXCLUDED.status, as_of = EXCLUDED.as_of,
         reported_by = EXCLUDED.reported_by, updated_at = now()`,
    [r.caseId, r.lenderId, r.status, r.asOf, r.reportedBy],
  );
}
