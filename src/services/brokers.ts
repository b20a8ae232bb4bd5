import { WorkflowIdConflictPolicy } from '@temporalio/common';
import type { Actor } from '../api/auth';
import { AppError } from '../api/errors';
import { appendAudit } from '../db/audit';
import { offboardingWorkflowId } from '../temporal/names';
import type { CaseDeps } from './cases';
import { TEMPORAL_CALL_MS, withDeadline } from './temporal-calls';

/** Starts (or joins, if already running) the hand-over of every open case of a leaving broker. */
export async function startBrokerOffboarding(deps: CaseDeps, actor: Actor, brokerId: string) {
  const [broker] = await deps.db.query('SELECT id FROM brokers WHERE id = $1', [brokerId]);
  if (!broker) throw new AppError(404, 'broker_not_found', `broker ${brokerId} was not found`);
  const [{ n }] = await deps.db.query('SELECT count(*)::int AS n FROM lead_cases WHERE broker_id = $1 AND is_open', [brokerId]);
  const workflowId = offboardingWorkflowId(brokerId);
  try {
    await withDeadline(deps.temporal, TEMPORAL_CALL_MS, () => deps.temporal.workflow.start('brokerOffboarding', {
      workflowId,
      taskQueue: deps.cfg.TEMPORAL_TASK_QUEUE,
      args: [{ brokerId }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Offboarding broker ${brokerId}: hand over ${n} open case(s)`,
    }));
  } catch (err) {
    if ((err as Error).name !== 'ServiceError') throw err;
    // Nothing else was done: the same request again starts it, or joins the run that did start.
    throw new AppError(503, 'temporal_unavailable', 'the workflow engine is unreachable; retry later', { retryable: true });
  }
  await appendAudit(deps.db.manager, { actorSub: actor.sub, actorRole: actor.role, action: 'broker.offboarding_started', targetType: 'broker', targetId: brokerId, details: { openCases: n } });
  return { brokerId, workflowId, openCases: n };
}
