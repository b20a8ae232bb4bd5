import { log } from '@temporalio/workflow';
import { isOpenStage } from '../../../platform/domain/types';
import { legalHoldUpdate, type LegalHoldUpdate, type UpdateResult } from '../messages';
import type { VerifiedActor } from '../../../platform/workflow/verified';
import { close, commit, commitUnlessGone, setDeadline, waitFor } from './changes';
import { HOUR, legalHoldAt, retentionDueAfterRelease } from './deadlines';
import { retentionTimerSummary } from '../rules/case-text';
import { endFailedErasure, erase } from './erasure';
import { requestReview } from './review';
import type { CaseRun } from './state';
import { onUpdate, refuse } from './verified-messages';

export function registerLegalHold(run: CaseRun): void {
  onUpdate(
    run,
    legalHoldUpdate,
    (arg, actor) => placeOrReleaseHold(run, arg, actor),
    (arg, actor) => validateHold(run, arg, actor),
  );
}

function validateHold(run: CaseRun, { hold }: LegalHoldUpdate, actor: VerifiedActor): void {
  const { state } = run;
  if (actor.role !== 'compliance')
    refuse('not_compliance', 'only a compliance officer places or releases a legal hold');
  if (state.stage === 'erased') refuse('case_closed', 'the personal data is already erased');
  // Too late to hold: the erasure has begun and will finish (a hold is checked before it starts).
  if (hold && run.erasing) refuse('case_closed', 'the personal data is being erased');
  if (hold && state.legalHold) refuse('already_on_hold', 'the case is already under legal hold');
  if (!hold && !state.legalHold) refuse('not_on_hold', 'the case is not under legal hold');
}

/** A hold pauses the retention clock and every erasure; its release gives back the time that was left. */
async function placeOrReleaseHold(
  run: CaseRun,
  { hold }: LegalHoldUpdate,
  actor: VerifiedActor,
): Promise<UpdateResult> {
  const { state } = run;
  const eventId = run.nextEventId(hold ? 'hold' : 'release');
  if (hold) {
    state.legalHold = legalHoldAt(state, Date.now());
  } else {
    state.retentionDueAt = retentionDueAfterRelease(state, Date.now());
    state.legalHold = null;
  }
  // The hold's event and its audit row are written with the projection, in one statement.
  await commit(run, { holdEvent: { eventId, hold, actor } });
  return { eventId, state };
}

/**
 * A closed case waits out its retention period (paused by a legal hold) and is erased; a human
 * review asked for after an automated decline reopens it instead.
 */
export async function retention(run: CaseRun): Promise<'erased' | 'reopened'> {
  const { state } = run;
  while (true) {
    if (state.legalHold) {
      await waitFor(run, () => state.legalHold === null);
      continue;
    }
    const due = Date.parse(state.retentionDueAt!);
    const summary = retentionTimerSummary(run.policy.display.locale);
    let interrupted = await waitFor(run, () => state.legalHold !== null || state.humanReviewRequested, due, summary);
    if (!interrupted && run.humanReviewsInFlight > 0) {
      // Asked for in time: the request, once written, reopens the case.
      await waitFor(run, () => run.humanReviewsInFlight === 0);
      interrupted = state.humanReviewRequested || state.legalHold !== null;
    }
    if (state.humanReviewRequested && state.stage === 'declined') {
      state.stage = 'manual_review';
      state.closedAt = null;
      state.retentionDueAt = null;
      state.closeReason = null;
      setDeadline(run, 'review', run.policy.review.manualReviewHours * HOUR);
      await commit(run);
      await requestReview(run, 'human_review_requested');
      return 'reopened';
    }
    if (!interrupted) {
      await erase(run, 'retention_expired');
      return 'erased';
    }
  }
}

/**
 * After an activity failed for good (a fact missing, a row gone): the case closes with the reason
 * and a retention date, and the retention wait erases it as usual. True when there is nothing left
 * to do: the erasure itself found no case, so there is no personal data to erase.
 */
export async function closeOnTerminalFailure(run: CaseRun, type: string): Promise<boolean> {
  const { state } = run;
  log.warn('an activity failed for good; the case closes', { caseId: state.caseId, stage: state.stage, type });
  // Erased already: only the projection of it failed.
  if (state.stage === 'erased') return true;
  // Its intake never committed the case: no row to close, no personal data to erase.
  if (type === 'case_never_committed') return true;
  if (run.erasing) {
    endFailedErasure(run, type);
    return true;
  }
  // A human review asked for before the failure has nothing left to reopen.
  state.humanReviewRequested = false;
  // A closed case keeps its reason and its retention date: a later failure must not extend it.
  if (isOpenStage(state.stage)) {
    close(run, 'closed', `system_error:${type}`);
    // Without consent to assess credit the data may not wait out a retention period: it goes now.
    if (!state.consent.credit_assessment.granted) state.retentionDueAt = run.now().toISOString();
  }
  await commitUnlessGone(run);
  return false;
}
