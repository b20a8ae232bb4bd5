import { AppError } from '../api/errors';
import type { CaseDeps } from './cases';

/**
 * The explanation of the automated decisions about a case (PIPL art. 24): which rules fired, on
 * which de-identified inputs, what it means, and how to ask a person to look again.
 */
export async function getDecision(deps: Pick<CaseDeps, 'db'>, caseId: string) {
  const rows: { kind: string; tier: string | null; outcome: string | null; rules_fired: unknown[]; inputs: Record<string, unknown>; result: Record<string, unknown>; decided_by: string; decided_at: Date }[] =
    await deps.db.query('SELECT kind, tier, outcome, rules_fired, inputs, result, decided_by, decided_at FROM decisions WHERE case_id = $1 ORDER BY decided_at, id', [caseId]);
  if (rows.length === 0) throw new AppError(404, 'no_decision', 'no decision has been made on this case yet');
  const [c] = await deps.db.query('SELECT stage FROM lead_cases WHERE id = $1', [caseId]);
  const prescreen = [...rows].reverse().find((r) => r.kind === 'prescreen');
  return {
    caseId,
    stage: c?.stage,
    decisions: rows.map((r) => ({
      kind: r.kind,
      automated: r.decided_by.startsWith('automated_'),
      tier: r.tier,
      outcome: r.outcome,
      rulesFired: r.kind === 'match' ? [] : r.rules_fired,
      inputs: r.inputs,
      requiredDocuments: (r.result.requiredDocuments as string[] | undefined) ?? undefined,
      matches: r.kind === 'match' ? r.result.matches : undefined,
      excludedProducts: r.kind === 'match' ? r.rules_fired : undefined,
      decidedAt: r.decided_at,
    })),
    humanReview: {
      available: c?.stage === 'declined' && prescreen?.tier === 'C',
      how: `POST /v1/leads/${caseId}/human-review asks a risk officer to decide the case again`,
    },
  };
}
