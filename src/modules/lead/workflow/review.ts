import { condition } from '@temporalio/workflow';
import { humanReviewUpdate, reviewUpdate, type ReviewUpdate, type UpdateResult } from '../messages';
import { actorLabel, type VerifiedActor } from '../../../platform/workflow/verified';
import { close, commit, deadlineSummary, setDeadline, waitFor } from './changes';
import { HOUR } from './deadlines';
import { CaseWithdrawn, type CaseRun } from './state';
import { onUpdate, refuse } from './verified-messages';
import { activities, localWrites } from './writes';

export function registerReviewHandlers(run: CaseRun): void {
  onUpdate(
    run,
    reviewUpdate,
    (arg, actor) => review(run, arg, actor),
    (_arg, actor) => validateReview(run, actor),
  );
  onUpdate(
    run,
    humanReviewUpdate,
    (_arg, actor) => requestHumanReview(run, actor),
    () => validateHumanReviewRequest(run),
  );
}

function validateReview(run: CaseRun, actor: VerifiedActor): void {
  if (actor.role !== 'risk_officer') refuse('not_a_reviewer', 'only a risk officer reviews a case');
  if (run.state.stage !== 'manual_review' || run.reviewDecision !== null) {
    refuse('not_in_review', `only a case in manual_review can be reviewed; this one is ${run.state.stage}`);
  }
  // A review accepted and still being recorded decides: a second reviewer is refused as if it were done.
  if (run.reviewInFlight) refuse('not_in_review', 'another review of this case is being recorded');
}

async function review(run: CaseRun, { decision }: ReviewUpdate, actor: VerifiedActor): Promise<UpdateResult> {
  const { state } = run;
  const eventId = run.nextEventId('review');
  run.reviewInFlight = true;
  run.reviewAcceptedAt = Date.now();
  try {
    await localWrites.recordDecision({
      caseId: state.caseId,
      eventId,
      kind: 'manual_review',
      tier: state.tier,
      outcome: decision,
      decidedBy: actor.sub,
      at: run.now().toISOString(),
      actor,
    });
    run.reviewDecision = decision;
  } finally {
    run.reviewInFlight = false;
  }
  // The review stage moves the case on (matching and assignment, or decline); answer with where it lands.
  await condition(() => (state.stage !== 'manual_review' && state.stage !== 'matching') || run.coreWithdrawn);
  return { eventId, state };
}

function validateHumanReviewRequest(run: CaseRun): void {
  const { state } = run;
  if (
    state.stage !== 'declined' ||
    state.closeReason !== 'prescreen_declined' ||
    state.humanReviewRequested ||
    run.humanReviewsInFlight > 0
  ) {
    refuse('no_automated_decline', 'a human review can be asked for a case declined by the automated pre-screen, once');
  }
  if (run.erasing) refuse('case_closed', 'the retention period has ended: the personal data is being erased');
  if (state.legalHold) refuse('legal_hold', 'the case is under legal hold');
}

/** The customer's right to a person's decision after an automated decline: the retention wait reopens the case. */
async function requestHumanReview(run: CaseRun, actor: VerifiedActor): Promise<UpdateResult> {
  const { state } = run;
  const eventId = run.nextEventId('human_review');
  run.humanReviewsInFlight++;
  try {
    await localWrites.recordDecision({
      caseId: state.caseId,
      eventId,
      kind: 'human_review_request',
      tier: state.tier,
      outcome: 'requested',
      decidedBy: actorLabel(actor),
      at: run.now().toISOString(),
      actor,
    });
    state.humanReviewRequested = true;
  } finally {
    run.humanReviewsInFlight--;
  }
  await condition(() => state.stage === 'manual_review' || run.coreWithdrawn);
  return { eventId, state };
}

/** The automated pre-screen: tier A goes to matching, tier B to a risk officer, tier C is declined. */
export async function prescreen(run: CaseRun): Promise<void> {
  const { state } = run;
  const result = await activities.prescreenLead({
    caseId: state.caseId,
    eventId: run.nextEventId('prescreen'),
    at: run.now().toISOString(),
  });
  if (run.coreWithdrawn) throw new CaseWithdrawn();
  state.tier = result.tier;
  state.rulesFired = result.rulesFired.map((r) => r.code);
  state.requiredDocuments = result.requiredDocuments;
  if (result.tier === 'C') {
    close(run, 'declined', 'prescreen_declined');
  } else if (result.tier === 'B') {
    state.stage = 'manual_review';
    setDeadline(run, 'review', run.policy.review.manualReviewHours * HOUR);
  } else {
    state.stage = 'matching';
  }
  await commit(run);
  if (state.stage === 'manual_review') await requestReview(run, 'review_requested');
}

/** Tells the risk officers a case waits for their review. */
export async function requestReview(run: CaseRun, kind: 'review_requested' | 'human_review_requested'): Promise<void> {
  const { state } = run;
  await localWrites.notify({
    eventId: run.nextEventId(kind),
    kind,
    caseId: state.caseId,
    recipientRole: 'risk_officer',
    recipientId: null,
    payload: { caseId: state.caseId, tier: state.tier, rules: state.rulesFired, dueAt: state.deadline?.dueAt ?? null },
  });
}

/** Waits for a risk officer's decision, escalating once to the managers when the review deadline passes. */
export async function manualReview(run: CaseRun): Promise<void> {
  const { state } = run;
  while (run.reviewDecision === null) {
    const due = state.deadline && !state.deadline.escalated ? Date.parse(state.deadline.dueAt) : undefined;
    const summary = state.deadline ? deadlineSummary(run, state.deadline, 'escalate') : undefined;
    const decided = await waitFor(run, () => run.reviewDecision !== null, due, summary);
    if (!decided && run.reviewInFlight && due !== undefined && run.reviewAcceptedAt <= due) {
      // Decided in time and still being written: that decision moves the case on.
      await waitFor(run, () => !run.reviewInFlight);
      continue;
    }
    if (!decided && state.deadline) {
      // Past the review deadline: tell the managers, and keep waiting for the decision.
      state.deadline.escalated = true;
      state.reviewEscalated = true;
      await commit(run);
      await localWrites.notify({
        eventId: run.nextEventId('review_overdue'),
        kind: 'review_overdue',
        caseId: state.caseId,
        recipientRole: 'manager',
        recipientId: null,
        payload: { caseId: state.caseId, tier: state.tier, dueAt: state.deadline.dueAt },
      });
    }
  }
  const decision = run.reviewDecision;
  run.reviewDecision = null;
  state.humanReviewRequested = false;
  if (decision === 'approve') {
    state.stage = 'matching';
    setDeadline(run, null);
  } else {
    close(run, 'declined', 'review_declined');
  }
  await commit(run);
}
