import { setHandler } from '@temporalio/workflow';
import { assignmentUpdate, brokerLeavingSignal, type AssignmentUpdate, type UpdateResult } from '../messages';
import { actorLabel, type VerifiedActor } from '../../../platform/workflow/verified';
import { close, commit, setDeadline } from './changes';
import { brokerDeadline } from './deadlines';
import { CaseWithdrawn, type CaseRun } from './state';
import { onUpdate, refuse, signalSender } from './verified-messages';
import { activities, localWrites } from './writes';

export function registerAssignmentHandlers(run: CaseRun): void {
  onUpdate(
    run,
    assignmentUpdate,
    (arg, actor) => reassign(run, arg, actor),
    (arg, actor) => validateReassignment(run, arg, actor),
  );
  // Idempotent by construction: the follow-up stage hands the case over while it is still with a departed broker.
  setHandler(brokerLeavingSignal, (arg) => {
    if (!signalSender(run, brokerLeavingSignal.name, arg)) return;
    const { state } = run;
    if (!state.departedBrokerIds.includes(arg.brokerId))
      state.departedBrokerIds = [...state.departedBrokerIds, arg.brokerId];
  });
}

/** While a deadline's automatic reassignment runs, the case is nobody's to act on. */
export function notWhileReassigning(run: CaseRun): void {
  if (run.reassigning)
    refuse('being_reassigned', 'the follow-up deadline passed twice over: the case is being handed to another broker');
}

function validateReassignment(run: CaseRun, { brokerId }: AssignmentUpdate, actor: VerifiedActor): void {
  if (actor.role !== 'manager') refuse('not_a_manager', 'only a manager reassigns a case');
  if (!run.inFollowUp())
    refuse('wrong_stage', `only a case in follow-up can be reassigned; this case is ${run.state.stage}`);
  notWhileReassigning(run);
  if (brokerId !== null && brokerId === run.state.brokerId)
    refuse('already_assigned', 'the case is already with that broker');
}

/** A manager gives the case to another broker, or back to the shared pool. */
async function reassign(run: CaseRun, { brokerId }: AssignmentUpdate, actor: VerifiedActor): Promise<UpdateResult> {
  const eventId = run.nextEventId('assignment');
  await handOver(run, brokerId, `reassigned by ${actorLabel(actor)}`);
  return { eventId, state: run.state };
}

/** The matching stage: the products this case qualifies for, then a broker by rule (or close: nothing fits). */
export async function matchAndAssign(run: CaseRun): Promise<void> {
  const { state } = run;
  const { matches } = await activities.matchLead({
    caseId: state.caseId,
    eventId: run.nextEventId('match'),
    tier: state.tier!,
    at: run.now().toISOString(),
  });
  if (run.coreWithdrawn) throw new CaseWithdrawn();
  state.matches = matches;
  if (matches.length === 0) {
    close(run, 'closed', 'no_eligible_product');
    await commit(run);
    return;
  }
  const { brokerId } = await activities.assignBroker({
    caseId: state.caseId,
    eventId: run.nextEventId('assign'),
    excludeBrokerIds: run.brokersToAvoid(),
  });
  state.stage = 'follow_up';
  await handOver(run, brokerId, 'assigned by rule');
}

/** Gives the case to `to`; `onAssigned` runs as soon as the case is theirs, before anything is written. */
export async function handOver(
  run: CaseRun,
  to: string | null,
  reason: string,
  onAssigned?: () => void,
): Promise<void> {
  const { state } = run;
  const from = state.brokerId;
  if (from) state.previousBrokerIds = [...new Set([...state.previousBrokerIds, from])];
  state.brokerId = to;
  onAssigned?.();
  if (state.stage === 'follow_up') {
    const next = brokerDeadline(state.contactAttempts, state.tier, run.policy);
    setDeadline(run, next.kind, next.ms);
  }
  await commit(run);
  if (to) {
    await localWrites.notify({
      eventId: run.nextEventId('notify_assigned'),
      kind: 'case_assigned',
      caseId: state.caseId,
      recipientRole: 'broker',
      recipientId: to,
      payload: { caseId: state.caseId, reason, previousBrokerId: from, dueAt: state.deadline?.dueAt ?? null },
    });
  }
}
