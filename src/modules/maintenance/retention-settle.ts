import type { EntityManager } from 'typeorm';
import { appendAuditMany } from '../../platform/audit/log';
import { retentionDueAt } from '../lead/rules/retention';
import { eraseCases, type CaseErasure } from '../lead/activities/erasure';
import type { SweepRun } from './sweep-run';
import type { WorkflowState } from './workflow-states';
import {
  dateCasesNotRunning,
  lockDueOrphans,
  markCasesErased,
  withdrawSweepDates,
  type UndatedCase,
} from './repository/retention';

export type { UndatedCase } from './repository/retention';

// The retention sweep's per-chunk transactions (retention-sweep.ts): dating, withdrawing and erasing.

/** The cases of a chunk that the erasure did erase (not already erased, not gone). */
export const erasedCaseIds = (chunk: { caseId: string }[], results: CaseErasure[]) =>
  chunk
    .filter((_, j) => {
      const r = results[j];
      return 'erased' in r && r.erased;
    })
    .map((c) => c.caseId);

/** Gives each case whose workflow is not running a retention date by the policy; returns the IDs dated. */
export async function dateNotRunning(
  { db, policy, at }: SweepRun,
  rows: UndatedCase[],
  states: Map<string, WorkflowState | null>,
): Promise<string[]> {
  const toDate = rows
    .map((r) => ({ r, state: states.get(r.workflow_id) }))
    .filter((x): x is { r: UndatedCase; state: WorkflowState } => !!x.state && x.state !== 'running')
    .map(({ r, state }) => {
      const due = retentionDueAt({ closedAt: new Date(r.updated_at), converted: r.outcome === 'approved' }, policy);
      return { id: r.id, state, dueAt: new Date(Math.max(due.getTime(), Date.parse(at))).toISOString() };
    });
  if (toDate.length === 0) return [];
  return db.transaction(async (m) => {
    // Only a case still without a date, not erased and not on hold, as it is now.
    const dated = await dateCasesNotRunning(
      m,
      toDate.map((d) => d.id),
      toDate.map((d) => d.dueAt),
    );
    const stateOf = new Map(toDate.map((d) => [d.id, d.state]));
    await appendAuditMany(
      m,
      dated.map((d) => ({
        actorSub: 'retention-sweep',
        actorRole: 'system',
        action: 'lead.retention_dated',
        targetType: 'lead_case',
        targetId: d.id,
        details: {
          reason: 'workflow_not_running',
          workflowState: stateOf.get(d.id),
          retentionDueAt: new Date(d.retention_due_at).toISOString(),
        },
      })),
    );
    return dated.map((d) => d.id);
  });
}

/**
 * In one transaction: the sweep's date withdrawn from the cases whose workflow runs again, and the
 * cases whose workflow has ended erased. Returns the IDs erased and how many dates were withdrawn.
 */
export async function settleOrphans(
  m: EntityManager,
  at: string,
  running: string[],
  ended: string[],
): Promise<{ erased: string[]; withdrawn: number }> {
  // A workflow running again owns its case: the sweep's date goes, and the workflow gives its own when it closes.
  const cleared: { id: string }[] = running.length === 0 ? [] : await withdrawSweepDates(m, running);
  // The checks of a retention sweep, made on the locked rows: still dated by the sweep, due, not on hold, not erased.
  const locked = await lockDueOrphans(m, ended, at);
  const chunk = locked.map(({ id }) => ({
    caseId: id,
    eventId: `sweep:${id}`,
    reason: 'workflow_not_running' as const,
    at,
  }));
  // No workflow will project these cases again: their rows show the stage a workflow's erasure
  // would. Set first, while the rows are locked: the erasure appends to the audit chain last.
  if (chunk.length > 0)
    await markCasesErased(
      m,
      locked.map((l) => l.id),
    );
  const results = chunk.length > 0 ? await eraseCases(m, chunk) : [];
  const erased = erasedCaseIds(chunk, results);
  // Audit rows last: the chain's lock is held until commit.
  await appendAuditMany(
    m,
    cleared.map(({ id }) => ({
      actorSub: 'retention-sweep',
      actorRole: 'system',
      action: 'lead.retention_withdrawn',
      targetType: 'lead_case',
      targetId: id,
      details: { reason: 'workflow_running' },
    })),
  );
  return { erased, withdrawn: cleared.length };
}
