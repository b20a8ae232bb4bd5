import { log, setHandler, workflowInfo } from '@temporalio/workflow';
import { checkContactAllowed, localDayKey } from '../rules/contact';
import {
  contactAttemptUpdate,
  doNotContactSignal,
  doNotContactUpdate,
  outcomeUpdate,
  selectionUpdate,
  type ContactAttemptUpdate,
  type Deadline,
  type OutcomeUpdate,
  type SelectionUpdate,
  type UpdateResult,
} from '../messages';
import { actorLabel, type VerifiedActor } from '../../../platform/workflow/verified';
import { handOver, notWhileReassigning } from './assignment';
import { close, commit, deadlineSummary, nextProjection, onClockInstead, setDeadline, waitFor } from './changes';
import { firstContactMs, HOUR, nextMark, type DeadlineMark } from './deadlines';
import { submissionRefusal } from './lender-sharing';
import type { CaseRun } from './state';
import { onUpdate, refuse, signalSender } from './verified-messages';
import { activities, localWrites } from './writes';

export function registerFollowUpHandlers(run: CaseRun): void {
  onUpdate(
    run,
    contactAttemptUpdate,
    (arg, actor) => logContactAttempt(run, arg, actor),
    (arg, actor) => validateContactAttempt(run, arg, actor),
  );
  onUpdate(
    run,
    doNotContactUpdate,
    () => doNotContact(run),
    () => validateDoNotContact(run),
  );
  // From a complaint's workflow: nothing to refuse, so a signal. A repeat changes nothing.
  setHandler(doNotContactSignal, async (arg) => {
    const sender = signalSender(run, doNotContactSignal.name, arg);
    if (!sender || run.state.doNotContact || run.state.stage === 'erased') return;
    log.info('do-not-contact requested by another workflow', { caseId: run.state.caseId, by: actorLabel(sender) });
    await markDoNotContact(run);
  });
  onUpdate(
    run,
    selectionUpdate,
    (arg) => selectProduct(run, arg),
    (arg, actor) => validateSelection(run, arg, actor),
  );
  onUpdate(
    run,
    outcomeUpdate,
    (arg) => recordOutcome(run, arg),
    (arg, actor) => validateOutcome(run, arg, actor),
  );
}

function requireAssignedBroker(run: CaseRun, actor: VerifiedActor): void {
  notWhileReassigning(run);
  if (actor.role !== 'broker' || run.state.brokerId !== actor.sub)
    refuse('not_assigned_broker', 'only the broker assigned to the case may act on it');
}

function validateContactAttempt(run: CaseRun, attempt: ContactAttemptUpdate, actor: VerifiedActor): void {
  const { state, policy } = run;
  if (!run.inFollowUp()) refuse('wrong_stage', `contact is logged during follow-up; this case is ${state.stage}`);
  requireAssignedBroker(run, actor);
  const at = run.now();
  const day = localDayKey(at, policy.contact.timeZone);
  const verdict = checkContactAllowed(
    {
      at,
      purpose: attempt.purpose,
      attemptsToday: state.contactDay?.day === day ? state.contactDay.count : 0,
      doNotContact: state.doNotContact,
      marketingConsent: run.consented('marketing'),
      vulnerable: state.facts.vulnerable,
    },
    policy,
  );
  if (!verdict.allowed) refuse(verdict.code, verdict.reason);
}

/** Each attempt counts toward the day's limit and starts the next follow-up deadline. */
async function logContactAttempt(run: CaseRun, arg: ContactAttemptUpdate, actor: VerifiedActor): Promise<UpdateResult> {
  const { state, policy } = run;
  const at = run.now();
  const day = localDayKey(at, policy.contact.timeZone);
  const eventId = run.nextEventId('contact');
  const entry = {
    caseId: state.caseId,
    eventId,
    brokerId: actor.sub,
    channel: arg.channel,
    purpose: arg.purpose,
    outcome: arg.outcome,
    localDay: day,
    at: at.toISOString(),
  };
  state.contactDay = { day, count: state.contactDay?.day === day ? state.contactDay.count + 1 : 1 };
  state.contactAttempts++;
  if (state.stage === 'follow_up') setDeadline(run, 'follow_up', policy.followUp.nextFollowUpHours * HOUR);
  // The attempt, the projection it changes and the action's audit row are written in one statement.
  await localWrites.recordContactAttempt({ entry, case: nextProjection(run), auditedBy: actor });
  return { eventId, state };
}

function validateDoNotContact(run: CaseRun): void {
  if (run.state.stage === 'erased') refuse('case_closed', 'the personal data is already erased');
}

async function doNotContact(run: CaseRun): Promise<UpdateResult> {
  const eventId = await markDoNotContact(run);
  return { eventId, state: run.state };
}

async function markDoNotContact(run: CaseRun): Promise<string> {
  run.state.doNotContact = true;
  const eventId = run.nextEventId('do_not_contact');
  await commit(run);
  return eventId;
}

function validateSelection(run: CaseRun, { productId }: SelectionUpdate, actor: VerifiedActor): void {
  const { state } = run;
  if (state.stage !== 'follow_up')
    refuse('wrong_stage', `a product is chosen during follow-up; this case is ${state.stage}`);
  requireAssignedBroker(run, actor);
  if (!state.matches.some((m) => m.productId === productId)) {
    refuse('product_not_matched', `product ${productId} is not one of this case's matches`);
  }
}

async function selectProduct(run: CaseRun, { productId }: SelectionUpdate): Promise<UpdateResult> {
  run.state.selectedProductId = productId;
  const eventId = run.nextEventId('selection');
  await commit(run);
  return { eventId, state: run.state };
}

function validateOutcome(run: CaseRun, { outcome }: OutcomeUpdate, actor: VerifiedActor): void {
  const { state } = run;
  if (!run.inFollowUp()) refuse('wrong_stage', `an outcome is recorded during follow-up; this case is ${state.stage}`);
  requireAssignedBroker(run, actor);
  if (outcome === 'submitted') {
    if (state.stage !== 'follow_up') refuse('already_submitted', 'the case was already submitted to a lender');
    if (!state.selectedProductId) refuse('no_selection', "record the customer's product choice before submitting");
    const refusal = submissionRefusal(run);
    if (refusal) refuse(refusal.code, refusal.message);
  }
  if ((outcome === 'approved' || outcome === 'lender_declined') && state.stage !== 'submitted') {
    refuse('not_submitted', `a lender's decision needs a submission first; this case is ${state.stage}`);
  }
}

async function recordOutcome(run: CaseRun, { outcome }: OutcomeUpdate): Promise<UpdateResult> {
  const { state } = run;
  const eventId = run.nextEventId('outcome');
  state.outcome = outcome;
  if (outcome === 'submitted') {
    state.stage = 'submitted';
    setDeadline(run, null); // the lender's turn: no broker deadline runs
  } else {
    close(run, 'closed', outcome);
  }
  await commit(run);
  return { eventId, state };
}

/**
 * The follow-up stage: the broker's deadline runs its marks (remind, escalate, reassign) until an
 * outcome closes the case. Returns early when the history should continue as new.
 */
export async function followUp(run: CaseRun): Promise<void> {
  const { state } = run;
  if (state.stage === 'follow_up' && !state.deadline) {
    setDeadline(
      run,
      state.contactAttempts === 0 ? 'first_contact' : 'follow_up',
      firstContactMs(state.tier, run.policy),
    );
  }
  const interrupted = () => !run.inFollowUp() || run.withDepartedBroker();
  while (run.inFollowUp()) {
    if (run.withDepartedBroker()) {
      const { brokerId } = await activities.assignBroker({
        caseId: state.caseId,
        eventId: run.nextEventId('assign'),
        excludeBrokerIds: run.brokersToAvoid(),
      });
      await handOver(run, brokerId, 'previous broker left');
      continue;
    }
    const d = state.deadline;
    if (!d) {
      await waitFor(run, () => interrupted() || state.deadline !== null);
      continue;
    }
    const mark = nextMark(d, run.policy, onClockInstead(run));
    const version = run.deadlineVersion;
    const summary = deadlineSummary(run, d, mark.kind);
    const changed = await waitFor(run, () => interrupted() || run.deadlineVersion !== version, mark.at, summary);
    if (!changed) await onDeadlineMark(run, d, mark.kind);
    if (workflowInfo().continueAsNewSuggested) return;
  }
}

/** A mark of the broker's deadline is reached: remind the broker, tell the managers, or give the case to another broker. */
async function onDeadlineMark(run: CaseRun, d: Deadline, kind: DeadlineMark): Promise<void> {
  const { state } = run;
  const payload = {
    caseId: state.caseId,
    deadline: d.kind,
    dueAt: d.dueAt,
    brokerId: state.brokerId,
    tier: state.tier,
  };
  if (kind === 'remind') {
    d.reminded = true;
    if (state.brokerId) {
      await localWrites.notify({
        eventId: run.nextEventId('remind'),
        kind: d.kind === 'first_contact' ? 'first_contact_reminder' : 'follow_up_reminder',
        caseId: state.caseId,
        recipientRole: 'broker',
        recipientId: state.brokerId,
        payload,
      });
    }
    await commit(run);
  } else if (kind === 'escalate') {
    d.escalated = true;
    await localWrites.notify({
      eventId: run.nextEventId('breach'),
      kind: 'sla_breached',
      caseId: state.caseId,
      recipientRole: 'manager',
      recipientId: null,
      payload,
    });
    await commit(run);
  } else {
    // From here until the new broker is set, the old broker's actions and a manager's reassignment are refused.
    run.reassigning = true;
    try {
      const { brokerId } = await activities.assignBroker({
        caseId: state.caseId,
        eventId: run.nextEventId('assign'),
        excludeBrokerIds: [...run.brokersToAvoid(), ...(state.brokerId ? [state.brokerId] : [])],
      });
      await localWrites.notify({
        eventId: run.nextEventId('reassigned'),
        kind: 'case_reassigned',
        caseId: state.caseId,
        recipientRole: 'manager',
        recipientId: null,
        payload: { ...payload, newBrokerId: brokerId },
      });
      await handOver(run, brokerId, `${d.kind} deadline passed twice over`, () => (run.reassigning = false));
    } finally {
      run.reassigning = false;
    }
  }
}
