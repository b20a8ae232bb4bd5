import type { Role } from './types';

/** Who is calling: from a bearer JWT (people) or a channel's API key. */
export interface Actor {
  sub: string;
  role: Role;
  team?: string;
  /** For role `channel`: the one channel this credential acts for. */
  channelId?: string;
}

/**
 * Whose Idempotency-Keys a caller shares: a channel partner's are the channel's, whichever of its
 * credentials sends them, so a retry sent with the key that replaced a rotated one (the two overlap
 * for a day) is still a repeat; anyone else's are their own.
 */
export const idempotencyOwner = (actor: Actor): string =>
  actor.role === 'channel' ? `channel:${actor.channelId}` : `${actor.role}:${actor.sub}`;
