import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../activities/contract';
import { leadWorkflowId } from '../temporal/names';
import { brokerLeavingSignal } from './messages';

const { listOpenCasesOfBroker, setBrokerActive } = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

/**
 * A broker leaves: no customer leaves with them (防飞单). The broker is made inactive first so no
 * new case reaches them, then every open case of theirs is told to move. Each case ignores the
 * signal once it is no longer theirs, so a restart part-way through neither loses nor doubles a
 * hand-over; the loop repeats until the projection shows none left.
 */
export async function brokerOffboarding(input: { brokerId: string }): Promise<{ handedOver: number }> {
  await setBrokerActive({ brokerId: input.brokerId, active: false });
  const signalled = new Set<string>();
  for (let round = 0; round < 5; round++) {
    const open = await listOpenCasesOfBroker({ brokerId: input.brokerId });
    const pending = open.filter((id) => !signalled.has(id));
    if (open.length === 0 || pending.length === 0) break;
    for (const caseId of pending) {
      await getExternalWorkflowHandle(leadWorkflowId(caseId)).signal(brokerLeavingSignal, { brokerId: input.brokerId });
      signalled.add(caseId);
    }
  }
  return { handedOver: signalled.size };
}
