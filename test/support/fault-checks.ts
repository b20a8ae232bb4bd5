import type { DataSource } from 'typeorm';
import { eventually, type TestStack } from './stack';

/** How many of the cases are in follow_up with their broker told (a `case_assigned` notification). */
export async function countHandedOver(db: DataSource, caseIds: string[]): Promise<number> {
  const [row] = await db.query(
    `SELECT count(*)::int AS n FROM lead_cases c WHERE c.id = ANY($1) AND c.stage = 'follow_up'
       AND EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id AND n.kind = 'case_assigned')`,
    [caseIds],
  );
  return row.n;
}

/**
 * Waits until every case is in follow_up with its broker told. On time-out it says where the others
 * are: their stage in Postgres, and their workflow's status, failure and pending activities.
 */
export async function waitUntilHandedOver(stack: TestStack, caseIds: string[], timeoutMs: number): Promise<void> {
  try {
    await eventually(
      async () => (await countHandedOver(stack.db, caseIds)) === caseIds.length,
      'every case to reach follow_up with its broker told',
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; ${await whereAreThey(stack, caseIds)}`, { cause: err });
  }
}

/** Stages of the cases and, for up to 20 that are not in follow_up, what their workflow is doing. */
export async function whereAreThey(stack: TestStack, caseIds: string[]): Promise<string> {
  const stages = await stack.db.query(
    `SELECT stage, risk_tier, count(*)::int AS n FROM lead_cases WHERE id = ANY($1) GROUP BY 1, 2`,
    [caseIds],
  );
  const stuck: { id: string }[] = await stack.db.query(
    `SELECT id FROM lead_cases WHERE id = ANY($1) AND stage <> 'follow_up' LIMIT 20`,
    [caseIds],
  );
  const why = await Promise.all(
    stuck.map(async ({ id }) => {
      const handle = stack.client.workflow.getHandle(`lead-${id}`);
      const d = await handle.describe().catch((e: Error) => e);
      if (d instanceof Error) return { id, describe: d.message };
      return {
        id,
        status: d.status.name,
        pending: d.raw.pendingActivities?.map((a) => [a.activityType?.name, a.attempt, a.lastFailure?.message]),
        failure:
          d.status.name === 'FAILED'
            ? await handle.result().then(
                () => null,
                (e: any) => [e.message, e.cause?.message, e.cause?.cause?.message],
              )
            : null,
      };
    }),
  );
  return `stages now: ${JSON.stringify(stages)}; not in follow_up: ${JSON.stringify(why)}`;
}

/**
 * Every row a case writes on its way from an intake with consent to follow_up, counted per case,
 * where each must appear exactly once: the two consents of the intake's one grant, the pre-screen
 * and the match decisions, the broker's notification, the 'new' intake record and the audit
 * entries of the intake, the grant and the pre-screen. Returns the cases where a count is off.
 */
export async function casesWithRowsNotWrittenOnce(db: DataSource, caseIds: string[]): Promise<unknown[]> {
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT c.id,
       (SELECT count(*)::int FROM consents k WHERE k.case_id = c.id) AS consents,
       (SELECT count(*)::int FROM decisions d WHERE d.case_id = c.id AND d.kind = 'prescreen') AS prescreens,
       (SELECT count(*)::int FROM decisions d WHERE d.case_id = c.id AND d.kind = 'match') AS matches,
       (SELECT count(*)::int FROM notifications n WHERE n.case_id = c.id AND n.kind = 'case_assigned') AS assigned,
       (SELECT count(*)::int FROM lead_intakes i WHERE i.case_id = c.id AND i.kind = 'new') AS intakes,
       (SELECT count(*)::int FROM audit_events a WHERE a.target_id = c.id::text AND a.action = 'lead.intake') AS intake_audits,
       (SELECT count(*)::int FROM audit_events a WHERE a.target_id = c.id::text AND a.action = 'consent.grant') AS consent_audits,
       (SELECT count(*)::int FROM audit_events a WHERE a.target_id = c.id::text AND a.action = 'prescreen.decided') AS prescreen_audits
     FROM lead_cases c WHERE c.id = ANY($1)`,
    [caseIds],
  );
  const once = {
    consents: 2,
    prescreens: 1,
    matches: 1,
    assigned: 1,
    intakes: 1,
    intake_audits: 1,
    consent_audits: 1,
    prescreen_audits: 1,
  };
  const off = rows.filter((r) => Object.entries(once).some(([k, v]) => r[k] !== v));
  const missing = caseIds.filter((id) => !rows.some((r) => r.id === id)).map((id) => ({ id, missing: true }));
  return [...missing, ...off];
}

/** Audit entries recorded twice for the same event of a workflow (an activity's write repeated by a retry). */
export async function auditEventsRecordedTwice(db: DataSource, caseIds: string[]): Promise<unknown[]> {
  return db.query(
    `SELECT target_id, action, details->>'eventId' AS event_id, count(*)::int AS n FROM audit_events
      WHERE target_id = ANY($1::text[]) AND details ? 'eventId' GROUP BY 1, 2, 3 HAVING count(*) > 1`,
    [caseIds],
  );
}

/**
 * Half-made cases, both ways round: a case row without its identity, data key, credit facts,
 * intake record or running workflow; and a running leadCase workflow without its case row.
 */
export async function halfMadeCases(
  stack: TestStack,
): Promise<{ rowsWithoutParts: unknown[]; workflowsWithoutRow: string[] }> {
  const rows: { id: string; workflow_id: string; parts: number }[] = await stack.db.query(
    `SELECT c.id, c.workflow_id,
       (SELECT count(*) FROM identities i WHERE i.case_id = c.id) + (SELECT count(*) FROM lead_data_keys k WHERE k.case_id = c.id)
       + (SELECT count(*) FROM credit_facts f WHERE f.case_id = c.id)
       + (SELECT least(count(*), 1) FROM lead_intakes n WHERE n.case_id = c.id AND n.kind = 'new') AS parts
     FROM lead_cases c WHERE c.erased_at IS NULL`,
  );
  const rowsWithoutParts: unknown[] = [];
  for (const r of rows) {
    const status = await stack.client.workflow
      .getHandle(r.workflow_id)
      .describe()
      .then(
        (d) => d.status.name,
        () => 'NOT_FOUND',
      );
    if (Number(r.parts) !== 4 || status !== 'RUNNING')
      rowsWithoutParts.push({ id: r.id, parts: Number(r.parts), workflow: status });
  }
  const known = new Set(rows.map((r) => r.workflow_id));
  const workflowsWithoutRow: string[] = [];
  for await (const wf of stack.client.workflow.list({
    query: `WorkflowType = 'leadCase' AND ExecutionStatus = 'Running'`,
  })) {
    if (!known.has(wf.workflowId)) workflowsWithoutRow.push(wf.workflowId);
  }
  return { rowsWithoutParts, workflowsWithoutRow };
}
