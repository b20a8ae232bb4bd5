import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { intakeUnconfirmedSignal } from '../lead/messages';
import type { Policy } from '../../platform/config/policy';
import type { MaintenanceActivities, RetentionSweepResult } from '../lead/activities/contract';
import { planCheckIns } from '../post-loan/service';
import { actorSeal, SERVICE_ACTOR } from '../../platform/workflow/verified';
import { retentionSweep } from './retention-sweep';
import type { SweepOptions } from './sweep-run';
import {
  countBreachedByBroker,
  findCasesWithoutDeadline,
  findCaseWorkflowIds,
  findOpenCaseIdsOfBroker,
  insertManagerDigest,
  purgeIdempotencyKeys,
  purgeLenderApplications,
  updateBrokerActive,
} from './repository/housekeeping';

/**
 * Days a lender application is kept past the multi-lender rule's window, so that a pre-screen
 * running late (its workflow's time is earlier than the sweep's) still counts its whole window.
 */
export const LENDER_APPLICATION_GRACE_DAYS = 7;
/** How long an Idempotency-Key's stored answer is kept (README, Idempotency-Key). */
export const IDEMPOTENCY_KEY_DAYS = 7;

/** Workflow IDs looked up in Postgres at once by the orphan sweep. */
const ORPHAN_BATCH = 500;

export interface MaintenanceDeps {
  db: DataSource;
  policy: Policy;
  /** The task queue of the `leadCase` workflows, which the sweeps look at (they may themselves run on another). */
  leadTaskQueue?: string;
  sweep?: SweepOptions;
}

/** Activities of the scheduled and helper workflows: offboarding, digests, sweeps. */
export function createMaintenanceActivities(deps: MaintenanceDeps): MaintenanceActivities {
  const { db, policy } = deps;
  return {
    async listOpenCasesOfBroker({ brokerId }) {
      const rows = await findOpenCaseIdsOfBroker(db, brokerId);
      return rows.map((r) => r.id);
    },

    async setBrokerActive({ brokerId, active }) {
      await updateBrokerActive(db, brokerId, active);
    },

    followUpDigest: (input) => followUpDigest(db, input),
    retentionSweep: (input) => retentionSweepAndPurge(deps, input),
    planPostLoanCheckIns: async (input) => planCheckIns(db, policy, input),
    casesWithoutDeadline: (input) => casesWithoutDeadline(db, input),
    signalOrphanedIntakes: (input) => signalOrphanedIntakes(deps, input),
  };
}

/** Tells the managers how many open cases are past their deadline, by broker. */
async function followUpDigest(
  db: DataSource,
  { at, eventId }: { at: string; eventId: string },
): Promise<{ breached: number }> {
  const rows = await countBreachedByBroker(db, at);
  const breached = rows.reduce((sum, r) => sum + r.n, 0);
  if (breached > 0) {
    await insertManagerDigest(
      db,
      eventId,
      JSON.stringify({
        at,
        breached,
        byBroker: rows.map((r) => ({ brokerId: r.broker_id ?? 'pool', breached: r.n, oldestDueAt: r.oldest })),
      }),
    );
  }
  return { breached };
}

/** The retention sweep, then the purge of what is kept only for a while. */
async function retentionSweepAndPurge(deps: MaintenanceDeps, input: { at: string }): Promise<RetentionSweepResult> {
  const swept = await retentionSweep(deps, input);
  const { at } = input;
  const { db, policy } = deps;
  // Stored answers to Idempotency-Keys are for retries, not for ever: a week is plenty.
  const idempotencyKeysPurged = await purgeIdempotencyKeys(db, at, IDEMPOTENCY_KEY_DAYS);
  // A person's applications at lenders are kept only as long as the multi-lender rule looks back, and a grace.
  const lenderApplicationsPurged = await purgeLenderApplications(
    db,
    at,
    policy.fraud.multiLenderWindowDays + LENDER_APPLICATION_GRACE_DAYS,
  );
  return { ...swept, idempotencyKeysPurged, lenderApplicationsPurged };
}

/** Open cases that wait on a person but have no deadline running, or that sit in an automatic stage for over an hour. */
async function casesWithoutDeadline(
  db: DataSource,
  { at, eventId }: { at: string; eventId: string },
): Promise<{ count: number }> {
  const rows = await findCasesWithoutDeadline(db, at);
  if (rows.length > 0) {
    await insertManagerDigest(
      db,
      eventId,
      JSON.stringify({ at, casesWithoutDeadline: rows.map((r) => ({ caseId: r.id, stage: r.stage })) }),
    );
  }
  return { count: rows.length };
}

type OrphanSweepInput = Parameters<MaintenanceActivities['signalOrphanedIntakes']>[0];

/** The visibility query of lead workflows started in the window and still awaiting consent. */
function orphanCandidatesQuery(taskQueue: string, { at, minAgeMinutes, windowHours }: OrphanSweepInput): string {
  if (!/^[\w.:/-]+$/.test(taskQueue)) throw new Error('the task queue name cannot be put in a visibility query');
  const atMs = Date.parse(at);
  const since = new Date(atMs - windowHours * 3_600_000).toISOString();
  const until = new Date(atMs - minAgeMinutes * 60_000).toISOString();
  return `WorkflowType = 'leadCase' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}' AND LeadStage = 'awaiting_consent' AND StartTime >= '${since}' AND StartTime <= '${until}'`;
}

async function signalOrphanedIntakes(
  deps: MaintenanceDeps,
  input: OrphanSweepInput,
): Promise<{ checked: number; caseIds: string[] }> {
  const ctx = Context.current();
  const query = orphanCandidatesQuery(deps.leadTaskQueue ?? ctx.info.taskQueue, input);
  const orphans: string[] = [];
  let checked = 0;
  const settle = async (workflowIds: string[]) => {
    orphans.push(...(await signalThoseWithoutCase(deps.db, ctx, workflowIds)));
    checked += workflowIds.length;
    ctx.heartbeat(checked);
  };
  let batch: string[] = [];
  for await (const wf of ctx.client.workflow.list({ query })) {
    batch.push(wf.workflowId);
    if (batch.length === ORPHAN_BATCH) {
      await settle(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await settle(batch);
  return { checked, caseIds: orphans };
}

/** Signals `intakeUnconfirmed` to each workflow whose case row does not exist; returns their case IDs. */
async function signalThoseWithoutCase(db: DataSource, ctx: Context, workflowIds: string[]): Promise<string[]> {
  const rows = await findCaseWorkflowIds(db, workflowIds);
  const known = new Set(rows.map((r) => r.workflow_id));
  const signalled: string[] = [];
  for (const workflowId of workflowIds.filter((id) => !known.has(id))) {
    try {
      await ctx.client.workflow.getHandle(workflowId).signal(intakeUnconfirmedSignal, {
        auth: actorSeal(workflowId, intakeUnconfirmedSignal.name, randomUUID(), SERVICE_ACTOR),
      });
      signalled.push(workflowId.replace(/^lead-/, ''));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // ended since it was listed
    }
  }
  return signalled;
}
