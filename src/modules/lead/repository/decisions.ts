import type { DataSource } from 'typeorm';

/** The SQL of reading a case's automated decisions; ../service/decisions explains them. */

export interface DecisionRow {
  kind: string;
  tier: string | null;
  outcome: string | null;
  rules_fired: unknown[];
  inputs: Record<string, unknown>;
  result: Record<string, unknown>;
  decided_by: string;
  decided_at: Date;
}

/** The case's decisions, oldest first. */
export async function findDecisions(db: DataSource, caseId: string): Promise<DecisionRow[]> {
  return db.query(
    'SELECT kind, tier, outcome, rules_fired, inputs, result, decided_by, decided_at FROM decisions WHERE case_id = $1 ORDER BY decided_at, id',
    [caseId],
  );
}

/** The case's stage, or undefined when there is no such case. */
export async function findCaseStage(db: DataSource, caseId: string): Promise<{ stage: string } | undefined> {
  const [c] = await db.query('SELECT stage FROM lead_cases WHERE id = $1', [caseId]);
  return c;
}
