import { ApplicationFailure, currentUpdateInfo, log, setHandler } from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { CarriedMessages, UpdateResult } from '../messages';
import {
  ANSWER_MEMORY,
  actorOf,
  NONCE_MEMORY,
  sealProblem,
  type VerifiedActor,
} from '../../../platform/workflow/verified';
import type { CaseRun } from './state';

/** Refusals reach the API as update failures with a stable type, which becomes the problem `code`. */
export const refuse = (code: string, message: string): never => {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
};

/**
 * Registers a case-changing Update. Its validator refuses a message without a verified sender
 * for this case, this Update and this Update ID, or whose ID was taken before; an Update ID
 * answered by an earlier run of this case gets that answer again (a retry across continue-as-new).
 */
export function onUpdate<A>(
  run: CaseRun,
  def: UpdateDefinition<UpdateResult, [A], string>,
  handler: (arg: A, actor: VerifiedActor) => Promise<UpdateResult>,
  validator: (arg: A, actor: VerifiedActor) => void,
): void {
  setHandler(
    def,
    async (arg: A): Promise<UpdateResult> => {
      const updateId = currentUpdateInfo()?.id;
      const earlier = updateId === undefined ? undefined : run.answers.get(updateId);
      if (earlier) return earlier;
      if (updateId !== undefined) takeNonce(run, updateId);
      const result = await handler(arg, actorOf(arg)!);
      if (updateId !== undefined) remember(run, updateId, result);
      return result;
    },
    {
      validator: (arg: A) => {
        const updateId = currentUpdateInfo()?.id ?? '';
        const problem = sealProblem(arg, { workflowId: run.workflowId, message: def.name, nonce: updateId });
        if (problem) refuse('unverified_message', problem);
        if (run.answers.has(updateId)) return;
        if (run.nonces.has(updateId)) refuse('message_replayed', 'this Update ID was already used on this case');
        validator(arg, actorOf(arg)!);
      },
    },
  );
}

/** The sender of a Signal, or null when it is to be ignored (not verified, or its nonce already taken). */
export function signalSender(run: CaseRun, name: string, arg: unknown): VerifiedActor | null {
  const problem = sealProblem(arg, { workflowId: run.workflowId, message: name, nonce: null });
  const nonce = (arg as { auth?: { nonce?: string } } | undefined)?.auth?.nonce ?? '';
  if (!problem && !run.nonces.has(nonce)) {
    takeNonce(run, nonce);
    return actorOf(arg);
  }
  const reason = problem ?? 'its nonce was already taken';
  log.warn('a signal to the case was ignored', { caseId: run.state.caseId, signal: name, reason });
  return null;
}

/** What the next run of the case must remember: the nonces taken and the recent answers. */
export function carriedMessages(run: CaseRun): CarriedMessages {
  return { answers: [...run.answers], nonces: [...run.nonces] };
}

function takeNonce(run: CaseRun, nonce: string): void {
  run.nonces.add(nonce);
  if (run.nonces.size > NONCE_MEMORY) run.nonces.delete(run.nonces.values().next().value!);
}

/** Keeps a copy of the answer, as it was sent: the state it carries changes after. */
function remember(run: CaseRun, updateId: string, result: UpdateResult): void {
  run.answers.set(updateId, JSON.parse(JSON.stringify(result)) as UpdateResult);
  if (run.answers.size > ANSWER_MEMORY) run.answers.delete(run.answers.keys().next().value!);
}
