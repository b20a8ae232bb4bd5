import { allHandlersFinished, condition } from '@temporalio/workflow';
import { isOpenStage, type ConsentPurpose } from '../../../platform/domain/types';
import {
  type ConsentGrant,
  grantConsentUpdate,
  withdrawConsentUpdate,
  type ConsentUpdate,
  type UpdateResult,
  type WithdrawalUpdate,
} from '../messages';
import { actorLabel, type VerifiedActor } from '../../../platform/workflow/verified';
import { commit, deadlineSummary, setDeadline, waitFor } from './changes';
import { HOUR } from './deadlines';
import { erase } from './erasure';
import { CaseWithdrawn, type CaseRun } from './state';
import { onUpdate, refuse } from './verified-messages';
import { stillAsProjectedAtIntake } from './visibility';
import { localWrites } from './writes';

export function registerConsentHandlers(run: CaseRun): void {
  onUpdate(
    run,
    grantConsentUpdate,
    (arg, actor) => grantConsent(run, arg, actor),
    (arg) => validateGrant(run, arg),
  );
  onUpdate(
    run,
    withdrawConsentUpdate,
    (arg, actor) => withdrawConsent(run, arg, actor),
    (arg) => validateWithdrawal(run, arg),
  );
}

function validateGrant(run: CaseRun, { purposes, lenderIds }: ConsentUpdate): void {
  const { stage } = run.state;
  if (!isOpenStage(stage) || run.coreWithdrawn)
    refuse('case_closed', `consent cannot be granted to a case in stage ${stage}`);
  if (run.consentLapsed || run.erasing)
    refuse('case_closed', 'the consent deadline has passed: the case is being erased');
  if (purposes.length === 0) refuse('no_purposes', 'name at least one purpose');
  validateLenderIds(purposes, lenderIds);
}

/** Lenders are named only with `lender_sharing`, and then at least one. */
function validateLenderIds(purposes: ConsentPurpose[], lenderIds: string[] | undefined): void {
  if (lenderIds === undefined) return;
  if (!purposes.includes('lender_sharing'))
    refuse('lender_ids_without_lender_sharing', 'lenderIds name the recipients of lender_sharing only');
  if (lenderIds.length === 0) refuse('no_lenders', 'name at least one lender');
}

async function grantConsent(
  run: CaseRun,
  { noticeVersion, purposes, lenderIds }: ConsentUpdate,
  actor: VerifiedActor,
): Promise<UpdateResult> {
  run.grantsInFlight++;
  try {
    const eventId = await recordGrant(run, { noticeVersion, purposes, lenderIds }, actorLabel(actor), actor);
    await commit(run);
    return { eventId, state: run.state };
  } finally {
    run.grantsInFlight--;
  }
}

function validateWithdrawal(run: CaseRun, { purposes, lenderIds }: WithdrawalUpdate): void {
  if (run.state.stage === 'erased' || run.coreWithdrawn)
    refuse('case_closed', 'consent was already withdrawn or the data erased');
  if (purposes.length === 0) refuse('no_purposes', 'name at least one purpose');
  validateLenderIds(purposes, lenderIds);
  if (lenderIds !== undefined && purposes.length > 1)
    refuse('lender_ids_without_lender_sharing', 'withdraw named lenders with lender_sharing alone');
  const notGranted = purposes.filter((p) => p !== 'credit_assessment' && !run.consented(p));
  if (notGranted.length > 0)
    refuse('consent_not_granted', `not granted, so nothing to withdraw: ${notGranted.join(', ')}`);
  const notNamed = (lenderIds ?? []).filter((l) => !run.lenderConsented(l));
  if (notNamed.length > 0)
    refuse('consent_not_granted', `no lender_sharing consent to withdraw for: ${notNamed.join(', ')}`);
}

/**
 * Named lenders only: sharing with them stops, the consent for the others stands. Without lenders,
 * each purpose is withdrawn, `lender_sharing` with every lender it named.
 */
async function withdrawConsent(
  run: CaseRun,
  { purposes, lenderIds }: WithdrawalUpdate,
  actor: VerifiedActor,
): Promise<UpdateResult> {
  const { state } = run;
  const eventId = run.nextEventId('withdraw');
  const at = run.now().toISOString();
  const source = actorLabel(actor);
  const lendersOnly = lenderIds !== undefined;
  const lenders = lenderIds ?? (purposes.includes('lender_sharing') ? grantedLenders(run) : []);
  const whole = lendersOnly ? [] : purposes;
  for (const p of whole) run.withdrawing.add(p);
  for (const l of lenders) run.withdrawingLenders.add(l);
  try {
    await localWrites.recordConsentEvent({
      caseId: state.caseId,
      eventId,
      action: 'withdraw',
      purposes,
      noticeVersion: null,
      ...(lenders.length > 0 ? { lenderIds: lenders } : {}),
      source,
      at,
      actor,
    });
    for (const p of whole) state.consent[p] = { granted: false, noticeVersion: state.consent[p].noticeVersion, at };
    for (const l of lenders)
      state.lenderConsents[l] = { granted: false, noticeVersion: state.lenderConsents[l]?.noticeVersion ?? null, at };
  } finally {
    for (const p of whole) run.withdrawing.delete(p);
    for (const l of lenders) run.withdrawingLenders.delete(l);
  }
  if (purposes.includes('credit_assessment')) {
    run.coreWithdrawn = true;
    // Answer once the personal data is gone (or a legal hold keeps it), so the caller sees the result.
    await condition(() => state.stage === 'erased' || (state.stage === 'withdrawn' && state.legalHold !== null));
  } else {
    await commit(run);
  }
  return { eventId, state };
}

const grantedLenders = (run: CaseRun): string[] =>
  Object.keys(run.state.lenderConsents).filter((l) => run.state.lenderConsents[l].granted);

async function recordGrant(
  run: CaseRun,
  { noticeVersion, purposes, lenderIds }: ConsentGrant,
  source: string,
  actor?: VerifiedActor,
): Promise<string> {
  const { state } = run;
  const eventId = run.nextEventId('consent');
  const at = run.now().toISOString();
  const lenders = purposes.includes('lender_sharing') ? (lenderIds ?? []) : [];
  await localWrites.recordConsentEvent({
    caseId: state.caseId,
    eventId,
    action: 'grant',
    purposes,
    noticeVersion,
    ...(lenders.length > 0 ? { lenderIds: lenders } : {}),
    source,
    at,
    actor,
  });
  for (const p of purposes) state.consent[p] = { granted: true, noticeVersion, at };
  for (const l of lenders) state.lenderConsents[l] = { granted: true, noticeVersion, at };
  return eventId;
}

/** The first stage: credit-assessment consent, given at intake or before the deadline, or the case is erased. */
export async function awaitConsent(run: CaseRun): Promise<void> {
  const { input, state } = run;
  if (input.consentAtIntake && !input.resumeFrom && !state.consent.credit_assessment.granted) {
    // The submitter named in the sealed start input is the actor of the grant's audit row.
    await recordGrant(run, input.consentAtIntake, input.submittedBy, submitterOf(input.submittedBy));
  }
  if (!state.consent.credit_assessment.granted) {
    if (!state.deadline) setDeadline(run, 'consent', run.policy.consent.waitHours * HOUR);
    if (!stillAsProjectedAtIntake(state, run.intakeDeadline, run.coreWithdrawn)) await commit(run);
    const d = state.deadline!;
    let granted = await waitFor(
      run,
      () => state.consent.credit_assessment.granted,
      Date.parse(d.dueAt),
      deadlineSummary(run, d, 'due'),
    );
    if (!granted && run.grantsInFlight > 0) {
      // Accepted in time: what it grants decides.
      await waitFor(run, () => run.grantsInFlight === 0);
      granted = state.consent.credit_assessment.granted;
    }
    if (!granted) {
      run.consentLapsed = true;
      state.closeReason = 'consent_timeout';
      await erase(run, 'consent_timeout');
      return;
    }
    // The grant's handler finishes first, so its completion and the pre-screen keep one order in the history.
    await condition(() => allHandlersFinished() || run.coreWithdrawn);
    if (run.coreWithdrawn) throw new CaseWithdrawn();
  }
  setDeadline(run, null);
  state.stage = 'prescreening';
  await commit(run);
}

/** `role:sub` of the intake's submitter as an actor (none for anything else). */
function submitterOf(submittedBy: string): VerifiedActor | undefined {
  const at = submittedBy.indexOf(':');
  return at > 0 ? { role: submittedBy.slice(0, at), sub: submittedBy.slice(at + 1) } : undefined;
}
