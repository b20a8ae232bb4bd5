import { randomUUID } from 'node:crypto';
import { WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { DomainError } from '../domain/errors';
import { actorSeal, type Sealed, type VerifiedActor } from '../workflow/verified';

/**
 * Deadlines for the API's calls to Temporal: someone is waiting for each answer, and a Temporal
 * that accepts connections but does not answer must not keep them waiting for ever.
 */

/** Starting, signalling or terminating a workflow. */
export const TEMPORAL_CALL_MS = 5_000;
/** A case or complaint action: the Update, until the workflow has answered it. */
export const ACTION_ANSWER_MS = 15_000;

/** Runs `call` with every Temporal RPC it makes bounded by one deadline, `ms` from now. */
export function withDeadline<T>(temporal: Client, ms: number, call: () => Promise<T>): Promise<T> {
  return temporal.connection.withDeadline(Date.now() + ms, call);
}

/** True when an Update's call ran out of time (or was cancelled) before the workflow answered. */
export const isUpdateTimeout = (err: unknown): boolean => err instanceof WorkflowUpdateRPCTimeoutOrCancelledError;

/**
 * The answer when an action's Update got no answer in time. The action may still take effect, so
 * the caller is told to retry with the same Idempotency-Key: the retry carries the same Update ID
 * and gets the first one's answer instead of acting twice.
 */
export function actionTimedOut(what: 'case' | 'complaint'): DomainError {
  return new DomainError(
    'action_timeout',
    `the ${what} did not answer within ${ACTION_ANSWER_MS / 1000} s and the action may still take effect: look at the ${what} before acting again, or retry with the same Idempotency-Key to get its answer`,
    { retryable: true },
  );
}

/**
 * The argument of a message to `workflowId` with its verified sender (src/platform/workflow/verified.ts):
 * the actor, bound to the workflow, the message's name and `nonce`. The codec's seal is what makes
 * it unforgeable; every Update and Signal the API sends to a case or a complaint is built here.
 */
export function withSender<A extends object>(
  workflowId: string,
  message: string,
  nonce: string,
  actor: VerifiedActor,
  fields: A,
): Sealed<A> {
  return { ...fields, auth: actorSeal(workflowId, message, nonce, { sub: actor.sub, role: actor.role }) };
}

/** Options for an Update with its sender: the Update ID (the Idempotency-Key's, or a new one) is its nonce. */
export function verifiedUpdate<A extends object>(
  workflowId: string,
  message: string,
  actor: VerifiedActor,
  fields: A,
  updateId: string = randomUUID(),
) {
  return { args: [withSender(workflowId, message, updateId, actor, fields)] as [Sealed<A>], updateId };
}

/** Options for a Signal with its sender, under a new nonce. */
export function verifiedSignalArg<A extends object>(
  workflowId: string,
  message: string,
  actor: VerifiedActor,
  fields: A,
): Sealed<A> {
  return withSender(workflowId, message, randomUUID(), actor, fields);
}
