import {
  ApplicationFailure,
  getExternalWorkflowHandle,
  log,
  uuid4,
  workflowInfo,
  setWorkflowOptions,
} from '@temporalio/workflow';
import type { MaintenanceActivities } from '../lead/activities/contract';
import { leadWorkflowId } from '../../platform/temporal/names';
import { brokerLeavingSignal } from '../lead/messages';
import { actorSeal, isRefusedPayload, type VerifiedActor } from '../../platform/workflow/verified';
import { verifiedActivities } from '../../platform/workflow/verified-activities';

const { listOpenCasesOfBroker, setBrokerActive } = verifiedActivities<MaintenanceActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/** The failure a signal gets when the workflow it names has ended (or never ran). */
const endedWorkflow = (err: unknown) =>
  err instanceof ApplicationFailure && err.type === 'ExternalWorkflowExecutionNotFound';

/**
 * A broker leaves: no customer leaves with them (防飞单). The broker is made inactive first so no
 * new case reaches them, then every open case of theirs is told to move. Each case ignores the
 * signal once it is no longer theirs, so a restart part-way through neither loses nor doubles a
 * hand-over; the loop repeats until the projection shows none left.
 *
 * A listed case whose workflow has ended (erased between the listing and the signal, or terminated
 * by an operator) has nobody to hand over: it is counted and logged, and the others still move.
 */
export async function brokerOffboarding(input: {
  brokerId: string;
  by?: VerifiedActor;
}): Promise<{ handedOver: number; ended: number }> {
  if (isRefusedPayload(input) || typeof input?.brokerId !== 'string') {
    // Not the service's start: nobody is deactivated and no case is told anything.
    log.warn('a start of brokerOffboarding was refused: its input was not sealed by the service');
    return { handedOver: 0, ended: 0 };
  }
  // The cases are told in the name of the manager who started the hand-over.
  const by: VerifiedActor = input.by ?? { sub: workflowInfo().workflowId, role: 'system' };
  await setBrokerActive({ brokerId: input.brokerId, active: false });
  const signalled = new Set<string>();
  const ended = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const open = await listOpenCasesOfBroker({ brokerId: input.brokerId });
    const pending = open.filter((id) => !signalled.has(id) && !ended.has(id));
    if (pending.length === 0) break;
    for (const caseId of pending) {
      try {
        const target = leadWorkflowId(caseId);
        const auth = actorSeal(target, brokerLeavingSignal.name, uuid4(), by, new Date(Date.now()));
        await getExternalWorkflowHandle(target).signal(brokerLeavingSignal, { brokerId: input.brokerId, auth });
        signalled.add(caseId);
      } catch (err) {
        if (!endedWorkflow(err)) throw err;
        log.warn('an open case of the leaving broker has no running workflow', { caseId, brokerId: input.brokerId });
        ended.add(caseId);
      }
    }
  }
  return { handedOver: signalled.size, ended: ended.size };
}

// Short or self-renewing runs: they move to the current build (docs/versioning.md).
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, brokerOffboarding);
