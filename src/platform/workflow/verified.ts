/**
 * Who sent a message to a case, in a form the workflow can trust.
 *
 * Every case-changing Update and Signal carries `auth`: the actor (subject, role) and the time the
 * API (or a workflow of the service) acted, bound to the workflow it targets, the message's name and
 * a nonce (an Update's ID; a fresh ID for a Signal). The worker's codec lets in only payloads the
 * service sealed with AES-GCM under a key Temporal does not hold (src/platform/temporal/payload-codec.ts), so
 * `auth` cannot be forged or altered without that key; the bindings stop a sealed payload copied
 * from a history being replayed to another case, as another message, or under another Update ID,
 * and the workflow remembers the nonces it took so the same one is not taken twice.
 *
 * Imported by workflows and by the API alike: pure functions only.
 */

/** The key of the value a refused payload decodes to in the worker: `{ "$refused": reason }`. */
export const REFUSED_PAYLOAD_KEY = '$refused';
export type RefusedReason = 'unsealed' | 'unknown_key' | 'bad_seal';

/** Who acted, as the API authenticated them: a subject and a role, never a name. */
export interface VerifiedActor {
  sub: string;
  role: string;
}

export interface ActorSeal {
  actor: VerifiedActor;
  /** When the actor acted (the sender's clock). */
  at: string;
  workflowId: string;
  message: string;
  nonce: string;
}

/** A message's argument with its verified sender. */
export type Sealed<T = object> = T & { auth: ActorSeal };

/** The workflow itself, or another workflow of the service, acting on its own account. */
export const SERVICE_ACTOR: VerifiedActor = { sub: 'workflow', role: 'system' };

export function actorSeal(
  workflowId: string,
  message: string,
  nonce: string,
  actor: VerifiedActor,
  at: Date = new Date(),
): ActorSeal {
  return { actor: { sub: actor.sub, role: actor.role }, at: at.toISOString(), workflowId, message, nonce };
}

/** Whether the worker's codec refused this value (it was not sealed by the service). */
export function isRefusedPayload(value: unknown): boolean {
  return typeof value === 'object' && value !== null && REFUSED_PAYLOAD_KEY in value;
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;

/**
 * Why `arg` is not a verified message `message` to `workflowId` under `nonce` (an Update's ID; for a
 * Signal, pass null: its own nonce is checked against those already taken), or null when it is.
 * No personal data goes into the reason: it may be logged and returned.
 */
export function sealProblem(
  arg: unknown,
  expected: { workflowId: string; message: string; nonce: string | null },
): string | null {
  if (isRefusedPayload(arg))
    return `the message was not sealed by the service (${String((arg as Record<string, unknown>)[REFUSED_PAYLOAD_KEY])})`;
  const auth = (arg as { auth?: Partial<ActorSeal> } | null | undefined)?.auth;
  if (typeof auth !== 'object' || auth === null) return 'the message names no verified actor';
  const actor = auth.actor as Partial<VerifiedActor> | undefined;
  if (!actor || !nonEmpty(actor.sub) || !nonEmpty(actor.role) || !nonEmpty(auth.at) || !nonEmpty(auth.nonce))
    return 'the message names no verified actor';
  if (auth.workflowId !== expected.workflowId) return 'the message was sealed for another workflow';
  if (auth.message !== expected.message) return 'the message was sealed as another message';
  if (expected.nonce !== null && auth.nonce !== expected.nonce) return 'the message was sealed for another Update ID';
  return null;
}

/** The actor of a message, or null (a message recorded before actors travelled with it). */
export function actorOf(arg: unknown): VerifiedActor | null {
  const actor = (arg as { auth?: ActorSeal } | null | undefined)?.auth?.actor;
  return actor && typeof actor.sub === 'string' && typeof actor.role === 'string'
    ? { sub: actor.sub, role: actor.role }
    : null;
}

/** `role:sub`, as the consent ledger and the complaint events name who acted. */
export const actorLabel = (actor: VerifiedActor | null): string => (actor ? `${actor.role}:${actor.sub}` : 'unknown');

/**
 * Nonces a workflow has taken, oldest first, with a bound: a case's messages number in the tens
 * over its life, so the bound is reached only by a flood, and then the oldest are forgotten.
 */
export const NONCE_MEMORY = 1_000;
/** Update answers kept for a retry of the same Update ID after a continue-as-new. */
export const ANSWER_MEMORY = 32;
