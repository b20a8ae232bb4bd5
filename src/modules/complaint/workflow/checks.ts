import { ApplicationFailure, currentUpdateInfo } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { complaintWorkflowId } from '../names';
import type { ComplaintUpdateResult } from '../messages';
import { actorLabel, actorOf, sealProblem, type VerifiedActor } from '../../../platform/workflow/verified';
import { isClosed, type ComplaintRun } from './state';

/** Refusals reach the API as update failures with a stable type, which becomes the problem `code`. */
export const refuse = (code: string, message: string): never => {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
};

/**
 * Refuses an Update without a verified sender for this complaint, this Update and this Update ID
 * (../verified). A complaint never continues as new, and Temporal answers a repeated Update ID within
 * a run itself, so the nonce needs no memory here.
 */
export function verifiedActor<A>(
  run: ComplaintRun,
  def: UpdateDefinition<ComplaintUpdateResult, [A], string>,
  arg: A,
): VerifiedActor {
  const expected = { workflowId: complaintWorkflowId(run.id), message: def.name, nonce: currentUpdateInfo()?.id ?? '' };
  const problem = sealProblem(arg, expected);
  if (problem) refuse('unverified_message', problem);
  return actorOf(arg)!;
}

/** Who acted, as `role:sub`, for a handler whose validator has checked the sender. */
export const senderOf = (arg: unknown): string => actorLabel(actorOf(arg)!);

export function refuseWhenClosed(run: ComplaintRun): void {
  if (isClosed(run.complaint)) refuse('complaint_closed', `the complaint is ${run.complaint.state}`);
}

export function refuseWhileActing(run: ComplaintRun): void {
  if (run.acting) {
    refuse('action_in_progress', 'another action on this complaint is being recorded; try again in a moment');
  }
}

/**
 * Records a first response, an escalation or a close alone: each checks the state, writes its event and
 * only then changes the state, so two at once could both pass their checks (a close and an escalation,
 * or two closes) and leave the complaint half one, half the other.
 */
export async function oneAtATime<T>(run: ComplaintRun, act: () => Promise<T>): Promise<T> {
  run.acting = true;
  run.actingSince = Date.now();
  try {
    return await act();
  } finally {
    run.acting = false;
  }
}
