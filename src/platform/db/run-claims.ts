import type { DataSource } from 'typeorm';

/**
 * Claims `workflowId` for the run chain whose first run is `firstRunId`, unless another chain holds
 * it; true when the ID is this chain's (src/platform/workflow/run-chain.ts).
 */
export async function claimWorkflowId(db: DataSource, workflowId: string, firstRunId: string): Promise<boolean> {
  const [row]: { first_run_id: string }[] = await db.query(
    `WITH claimed AS (
       INSERT INTO workflow_run_claims (workflow_id, first_run_id) VALUES ($1, $2)
       ON CONFLICT (workflow_id) DO NOTHING RETURNING first_run_id)
     SELECT first_run_id FROM claimed
     UNION ALL SELECT first_run_id FROM workflow_run_claims WHERE workflow_id = $1
     LIMIT 1`,
    [workflowId, firstRunId],
  );
  return row?.first_run_id === firstRunId;
}

/** The first run ID that claimed each of these workflow IDs (IDs never claimed are absent). */
export async function claimedFirstRuns(db: DataSource, workflowIds: string[]): Promise<Map<string, string>> {
  if (workflowIds.length === 0) return new Map();
  const rows: { workflow_id: string; first_run_id: string }[] = await db.query(
    'SELECT workflow_id, first_run_id FROM workflow_run_claims WHERE workflow_id = ANY($1::text[])',
    [workflowIds],
  );
  return new Map(rows.map((r) => [r.workflow_id, r.first_run_id]));
}
