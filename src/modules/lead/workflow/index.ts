/**
 * The lead case: one lead from intake to erasure. This file builds the run, registers its handlers
 * and runs its stages; each concern has its own module:
 * - state.ts: the run (`CaseRun`): the case's state and the flags of messages being written
 * - consent.ts: grants, withdrawals and the wait for consent
 * - review.ts: the automated pre-screen and the risk officer's (or human) review
 * - follow-up.ts, assignment.ts: the broker's actions, deadlines and reassignment
 * - lender-sharing.ts: cost-disclosure acknowledgements, and what a submission needs on record
 * - retention.ts, erasure.ts: legal hold, the retention wait, the erasure
 * - intake.ts: signals from the intake
 * - verified-messages.ts: who sent an Update or Signal, its nonce and its remembered answer
 * - changes.ts, writes.ts: committing a change; how the case's activities are called
 * - visibility.ts, deadlines.ts: pure rules for what the case shows and when its deadlines fall
 */
import {
  allHandlersFinished,
  condition,
  log,
  makeContinueAsNewFunc,
  setHandler,
  setWorkflowOptions,
  workflowInfo,
} from '@temporalio/workflow';
import type { VersioningBehavior } from '@temporalio/common';
import { isOpenStage, type LeadStage } from '../../../platform/domain/types';
import { LeadStageKey } from '../../../platform/temporal/search-attributes';
import { leadWorkflowId } from '../../../platform/temporal/names';
import { stateQuery, type LeadCaseInput } from '../messages';
import { isRefusedPayload } from '../../../platform/workflow/verified';
import { matchAndAssign, registerAssignmentHandlers } from './assignment';
import { publishDetails, publishVisibility } from './changes';
import { awaitConsent, registerConsentHandlers } from './consent';
import { eraseWithdrawnCase } from './erasure';
import { followUp, registerFollowUpHandlers } from './follow-up';
import { registerIntakeSignals } from './intake';
import { registerLenderSharingHandlers } from './lender-sharing';
import { closeOnTerminalFailure, registerLegalHold, retention } from './retention';
import { manualReview, prescreen, registerReviewHandlers } from './review';
import { CaseRun, CaseWithdrawn } from './state';
import { carriedMessages } from './verified-messages';
import { terminalFailureType, useSummaryLocale } from './writes';

export { LOCAL_WRITE_ATTEMPTS } from './writes';

export interface LeadCaseResult {
  caseId: string;
  stage: LeadStage;
  closeReason: string | null;
  erasedAt: string | null;
}

/**
 * One lead, from intake to erasure. Timers are the deadlines; Updates are the people acting on it;
 * activities do the I/O. The case carries no personal data: the activities look it up by caseId.
 */
export async function leadCase(input: LeadCaseInput): Promise<LeadCaseResult> {
  const refusedStart = startProblem(input);
  if (refusedStart) {
    // Nothing is written and nothing is published: the input is not one the service gave.
    log.warn('a start of leadCase was refused', { reason: refusedStart });
    return { caseId: '', stage: 'awaiting_consent', closeReason: 'refused_start', erasedAt: null };
  }
  const run = new CaseRun(input);
  useSummaryLocale(run.policy.display.locale);
  // In this order: a message delivered before its handler exists is handed over as the handler registers.
  registerConsentHandlers(run);
  registerReviewHandlers(run);
  registerFollowUpHandlers(run);
  registerLenderSharingHandlers(run);
  registerAssignmentHandlers(run);
  registerIntakeSignals(run);
  registerLegalHold(run);
  setHandler(stateQuery, () => run.state);

  // A run continued as new starts with no details of its own (its search attributes carry over).
  if (run.projectedAtIntake || input.resumeFrom) publishDetails(run);
  else publishVisibility(run);
  for (;;) {
    try {
      await lifecycle(run);
      break;
    } catch (err) {
      // An activity that failed for good closes the case, which then goes on to its erasure.
      const type = terminalFailureType(err);
      if (type === null) throw err;
      if (await closeOnTerminalFailure(run, type)) break;
    }
  }
  await condition(allHandlersFinished);
  const { caseId, stage, closeReason, erasedAt } = run.state;
  return { caseId, stage, closeReason, erasedAt };
}

/**
 * A case follows its worker's default (pinned in production) until it closes; the years-long
 * retention wait that follows moves to each new build instead (docs/versioning.md). A run learns
 * which it is from the stage its search attributes carry over from the run before it.
 */
export function caseVersioningBehavior(stageAtStart: string | undefined): VersioningBehavior | undefined {
  return stageAtStart !== undefined && !isOpenStage(stageAtStart as LeadStage) ? 'AUTO_UPGRADE' : undefined;
}
setWorkflowOptions(
  () => ({ versioningBehavior: caseVersioningBehavior(workflowInfo().typedSearchAttributes.get(LeadStageKey)) }),
  leadCase,
);

/** The stages, from wherever this run begins to the erasure; a core withdrawal ends any of them. */
async function lifecycle(run: CaseRun): Promise<void> {
  try {
    while (run.state.stage !== 'erased') {
      if (run.coreWithdrawn) throw new CaseWithdrawn();
      await runStage(run);
      // Not while an Update waits for this loop to move the case on (a review for the matching).
      if (workflowInfo().continueAsNewSuggested && allHandlersFinished()) await carryOn(run);
    }
  } catch (err) {
    if (!(err instanceof CaseWithdrawn)) throw err;
    await eraseWithdrawnCase(run);
  }
}

/** Runs the current stage until it moves the case on; kept apart so the loop above stays short. */
async function runStage(run: CaseRun): Promise<void> {
  switch (run.state.stage) {
    case 'awaiting_consent':
      await awaitConsent(run);
      break;
    case 'prescreening':
      await prescreen(run);
      break;
    case 'manual_review':
      await manualReview(run);
      break;
    case 'matching':
      await matchAndAssign(run);
      break;
    case 'follow_up':
    case 'submitted':
      await followUp(run);
      break;
    case 'closed':
    case 'declined':
    case 'withdrawn':
      // A long wait begins: start it on a fresh history, carrying only the state, on the current build.
      if (!run.resumedIntoRetention) await carryOn(run, 'AUTO_UPGRADE');
      await retention(run);
      break;
  }
}

/**
 * Continues as new once no handler is running. A handler that waits for this loop does not hold
 * it: a core withdrawal is erased at once, and a human review reopens the case first.
 */
async function carryOn(run: CaseRun, initialVersioningBehavior?: 'AUTO_UPGRADE'): Promise<void> {
  await condition(() => allHandlersFinished() || run.coreWithdrawn || run.state.humanReviewRequested);
  if (run.coreWithdrawn) throw new CaseWithdrawn();
  if (!allHandlersFinished()) return;
  return makeContinueAsNewFunc<typeof leadCase>({ initialVersioningBehavior })({
    ...run.input,
    consentAtIntake: undefined,
    projectedAtIntake: undefined,
    resumeFrom: run.state,
    resumeMessages: carriedMessages(run),
  });
}

/**
 * Why a start is not the service's, or null: an input the worker's codec refused, one meant for
 * another case's workflow, or a run resumed from a state that no continue-as-new handed over.
 */
function startProblem(input: LeadCaseInput): string | null {
  if (isRefusedPayload(input)) return 'the input was not sealed by the service';
  const info = workflowInfo();
  if (typeof input?.caseId !== 'string') return 'the input is not a case';
  // A replay (of a saved history, or after a cache eviction) runs under another ID: what was decided live stands.
  if (!info.unsafe.isReplaying && info.workflowId !== leadWorkflowId(input.caseId))
    return 'the input belongs to another workflow';
  if (input.resumeFrom && !info.continuedFromExecutionRunId) return 'a resumed state comes only from a continue-as-new';
  return null;
}
