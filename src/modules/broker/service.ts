import { WorkflowIdConflictPolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { Actor } from '../../platform/domain/actor';
import { DomainError } from '../../platform/domain/errors';
import { appendAudit } from '../../platform/audit/log';
import { offboardingWorkflowId } from '../../platform/temporal/names';
import type { CaseDeps } from '../lead/service/cases';
import type { z } from 'zod';
import type { brokerSchema } from '../reference/schemas';
import { TEMPORAL_CALL_MS, withDeadline } from '../../platform/temporal/calls';
import { countOpenCasesOf, deactivateBroker, findBrokerActive, lockBrokerActive, upsertBroker } from './repository';

/** Refuses to assign cases to a broker who does not exist or is no longer active. */
export async function assertBrokerAssignable(db: CaseDeps['db'], brokerId: string): Promise<void> {
  const broker = await findBrokerActive(db, brokerId);
  if (!broker) throw new DomainError('unknown_broker', `broker ${brokerId} does not exist`);
  if (!broker.active) throw new DomainError('broker_inactive', `broker ${brokerId} is not active`);
}

/** Deactivates a leaving broker and starts (or joins, if already running) the hand-over of every open case of theirs. */
export async function startBrokerOffboarding(deps: CaseDeps, actor: Actor, brokerId: string) {
  // Inactive at once, not when the workflow gets to it: every request checks this, so access ends now.
  if (!(await deactivateBroker(deps.db, brokerId)))
    throw new DomainError('broker_not_found', `broker ${brokerId} was not found`);
  const n = await countOpenCasesOf(deps.db, brokerId);
  const workflowId = offboardingWorkflowId(brokerId);
  try {
    await withDeadline(deps.temporal, TEMPORAL_CALL_MS, () =>
      deps.temporal.workflow.start('brokerOffboarding', {
        workflowId,
        taskQueue: deps.cfg.TEMPORAL_TASK_QUEUE,
        args: [{ brokerId, by: { sub: actor.sub, role: actor.role } }],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        staticSummary: `Offboarding broker ${brokerId}: hand over ${n} open case(s)`,
      }),
    );
  } catch (err) {
    if ((err as Error).name !== 'ServiceError') throw err;
    // Nothing else was done: the same request again starts it, or joins the run that did start.
    throw new DomainError('temporal_unavailable', 'the workflow engine is unreachable; retry later', {
      retryable: true,
    });
  }
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'broker.offboarding_started',
    targetType: 'broker',
    targetId: brokerId,
    details: { openCases: n },
  });
  return { brokerId, workflowId, openCases: n };
}

/**
 * Creates or replaces a broker. Deactivating one (active: false) takes effect at once, since every
 * request checks that its broker is active, and hands over the broker's open cases as offboarding
 * does: the same workflow starts (or is joined), so no case stays with someone who has left. When
 * Temporal cannot be reached the deactivation still holds and the answer is `temporal_unavailable`: the same request
 * again starts the hand-over.
 */
export async function saveBroker(deps: CaseDeps, actor: Actor, body: z.infer<typeof brokerSchema>) {
  // A hand-over still running would deactivate the broker again as it starts: reactivate after it.
  if (body.active && (await offboardingRunning(deps, body.id))) {
    throw new DomainError(
      'offboarding_in_progress',
      `broker ${body.id}'s open cases are still being handed over; reactivate them when that has finished`,
    );
  }
  const { created, wasActive } = await deps.db.transaction(async (m) => {
    const before = await lockBrokerActive(m, body.id);
    await upsertBroker(m, body);
    const deactivated = before?.active === true && !body.active;
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'broker.saved',
      targetType: 'broker',
      targetId: body.id,
      details: deactivated ? { created: !before, deactivated } : { created: !before },
    });
    return { created: !before, wasActive: before?.active === true };
  });
  let handOver: { workflowId: string; openCases: number } | null = null;
  if (!body.active) {
    const n = await countOpenCasesOf(deps.db, body.id);
    // A broker who was active may have a case being assigned right now: hand over even when none shows yet.
    if (n > 0 || wasActive) {
      const started = await startBrokerOffboarding(deps, actor, body.id);
      handOver = { workflowId: started.workflowId, openCases: started.openCases };
    }
  }
  return { created, broker: body, handOver };
}

/** Whether a broker's offboarding workflow is running (only asked of a broker who is inactive now). */
async function offboardingRunning(deps: CaseDeps, brokerId: string): Promise<boolean> {
  const row = await findBrokerActive(deps.db, brokerId);
  if (!row || row.active) return false;
  try {
    const d = await withDeadline(deps.temporal, TEMPORAL_CALL_MS, () =>
      deps.temporal.workflow.getHandle(offboardingWorkflowId(brokerId)).describe(),
    );
    return d.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    if ((err as Error).name !== 'ServiceError') throw err;
    throw new DomainError('temporal_unavailable', 'the workflow engine is unreachable; retry later', {
      retryable: true,
    });
  }
}
