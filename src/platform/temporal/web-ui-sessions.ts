import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { Role } from '../domain/types';
import type { Actor } from '../http/auth';
import { AppError } from '../http/errors';

/**
 * Web UI sessions. The session cookie is an opaque random ID, mapped in this process to the signed-in token: it is
 * no bearer token for the other `/v1` routes, it ends at sign-out, and every use re-verifies the
 * token behind it, so an expired or revoked token ends the session too. Sessions live in the API
 * process (a restart signs everyone out); several API replicas need sticky sessions, or the UI
 * server's own sign-in passing its access token.
 */
export const SESSION_COOKIE = 'lce_session';
export const SESSION_MAX_AGE_MS = 8 * 3600_000;
const MAX_SESSIONS = 10_000;
export const SESSION_ID = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes, base64url

/** The raw value of a cookie, undecoded: session IDs are base64url, so anything else is malformed. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

interface Session {
  token: string;
  sub: string;
  role: Actor['role'];
  expiresAt: number;
}

/** Signed-in Web UI sessions, by the SHA-256 of their ID (the ID itself is kept nowhere). */
export class WebUiSessions {
  private readonly byHash = new Map<string, Session>();
  constructor(private readonly maxAgeMs = SESSION_MAX_AGE_MS) {}

  private static hash(id: string): string {
    return createHash('sha256').update(id).digest('hex');
  }

  open(token: string, actor: Actor): { id: string; expiresAt: number } {
    const now = Date.now();
    if (this.byHash.size >= MAX_SESSIONS) {
      for (const [k, s] of this.byHash) if (s.expiresAt <= now) this.byHash.delete(k);
      // Still full: the oldest sign-ins give way (a Map iterates in insertion order).
      for (const k of this.byHash.keys()) {
        if (this.byHash.size < MAX_SESSIONS) break;
        this.byHash.delete(k);
      }
    }
    const id = randomBytes(32).toString('base64url');
    const expiresAt = now + this.maxAgeMs;
    this.byHash.set(WebUiSessions.hash(id), { token, sub: actor.sub, role: actor.role, expiresAt });
    return { id, expiresAt };
  }

  find(id: string): Session | undefined {
    const key = WebUiSessions.hash(id);
    const s = this.byHash.get(key);
    if (s && s.expiresAt <= Date.now()) {
      this.byHash.delete(key);
      return undefined;
    }
    return s;
  }

  end(id: string): Session | undefined {
    const key = WebUiSessions.hash(id);
    const s = this.byHash.get(key);
    this.byHash.delete(key);
    return s;
  }
}

/** Who may use the Web UI and its codec. */
export const WEB_UI_ROLES: readonly Role[] = ['manager', 'compliance'];
export const mayUseWebUi = (actor: Actor) => WEB_UI_ROLES.includes(actor.role);

/**
 * Signing in to the Web UI: the sign-in page, the session cookie it sets, who a session is, and
 * signing out (the codec routes, ./codec-routes.ts, take the cookie).
 */
/**
 * The actor of the request's session cookie, or undefined without one. A malformed, unknown or
 * ended session is a 401; the token behind it is verified again, so it must still be valid.
 */
export async function sessionActor(
  req: Request,
  sessions: WebUiSessions,
  verify: (t: string) => Promise<Actor>,
): Promise<Actor | undefined> {
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
  if (id === undefined) return undefined;
  if (!SESSION_ID.test(id))
    throw new AppError(401, 'invalid_session', 'the session cookie is malformed; sign in again at /v1/session');
  const session = sessions.find(id);
  if (!session)
    throw new AppError(401, 'invalid_session', 'the session has ended or expired; sign in again at /v1/session');
  const actor = await verify(session.token).catch(() => {
    sessions.end(id);
    throw new AppError(
      401,
      'invalid_session',
      'the token behind this session is no longer valid; sign in again at /v1/session',
    );
  });
  return actor;
}

const isLoopbackHost = (host: string) =>
  host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '::1' || host === '[::1]';

/** HttpOnly, SameSite=Strict, on every path (the Web UI gateway reads it too), Secure outside localhost. */
export function cookieOptions(req: Request) {
  return { httpOnly: true, sameSite: 'strict' as const, path: '/', secure: !isLoopbackHost(req.hostname ?? '') };
}

/** A browser's request from another site: its Fetch Metadata says so, or its Origin is not this host's. */
export function crossSite(req: Request): boolean {
  // Browsers send Fetch Metadata; Origin alone may be "null" on a same-site form (Referrer-Policy: no-referrer).
  const site = req.header('sec-fetch-site');
  if (site) return site !== 'same-origin' && site !== 'none';
  const origin = req.header('origin');
  if (!origin || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== req.header('host');
  } catch {
    return true;
  }
}
