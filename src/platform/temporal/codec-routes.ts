import { createHash, randomBytes } from 'node:crypto';
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { appendAudit } from '../audit/log';
import { codecKeyring, displayOnlyCodec, EncryptionCodec } from './payload-codec';
import type { Role } from '../domain/types';
import { createAuthenticator, type Actor } from '../http/auth';
import { AppError } from '../http/errors';
import { errors, json, signInBlocked, text } from '../http/openapi';
import { defineRoute, mountRoutes, type Route } from '../http/route';

/**
 * The remote payload codec for the Temporal Web UI (its "Codec Server" setting points here). Only
 * a manager or a compliance officer may use it, signed in the way the Web UI can send it: the
 * access token it passes (`Authorization: Bearer …`), or the session cookie that `/v1/session`
 * sets and the UI sends with cross-origin credentials. Every decode is audited.
 *
 * The session cookie is an opaque random ID, mapped in this process to the signed-in token: it is
 * no bearer token for the other `/v1` routes, it ends at sign-out, and every use re-verifies the
 * token behind it, so an expired or revoked token ends the session too. Sessions live in the API
 * process (a restart signs everyone out); several API replicas need sticky sessions, or the UI
 * server's own sign-in passing its access token.
 */
export const SESSION_COOKIE = 'lce_session';
const SESSION_MAX_AGE_MS = 8 * 3600_000;
const MAX_SESSIONS = 10_000;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes, base64url

const payloadSchema = z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() });
const payloadsSchema = z.strictObject({ payloads: z.array(payloadSchema).max(1000) });
const payloadsAnswer = z.object({ payloads: z.array(payloadSchema) });
const b64 = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('base64') : undefined);
const fromJson = (p: { metadata?: Record<string, string>; data?: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)!])),
  data: b64(p.data),
});

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
const mayUseWebUi = (actor: Actor) => WEB_UI_ROLES.includes(actor.role);

/**
 * The actor of the request's session cookie, or undefined without one. A malformed, unknown or
 * ended session is a 401; the token behind it is verified again, so it must still be valid.
 */
async function sessionActor(
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
function cookieOptions(req: Request) {
  return { httpOnly: true, sameSite: 'strict' as const, path: '/', secure: !isLoopbackHost(req.hostname ?? '') };
}

/** A browser's request from another site: its Fetch Metadata says so, or its Origin is not this host's. */
function crossSite(req: Request): boolean {
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

/** The role check of the codec routes: the caller signs in with a bearer token or the session cookie. */
function codecRoleCheck(sessions: WebUiSessions, verify: (t: string) => Promise<Actor>) {
  return (...roles: Role[]): RequestHandler =>
    (req, _res, next) => {
      const header = req.headers.authorization;
      const who = header?.startsWith('Bearer ') ? verify(header.slice(7).trim()) : sessionActor(req, sessions, verify);
      who.then((actor) => {
        if (!actor)
          return next(new AppError(401, 'unauthenticated', 'sign in at /v1/session, or pass the access token'));
        req.actor = actor; // set first, so that a refusal below is audited with who tried
        if (!roles.includes(actor.role))
          return next(new AppError(403, 'forbidden', 'only managers and compliance officers may decode payloads'));
        next();
      }, next);
    };
}

/** CORS for the Web UI's origin only, with credentials (the session cookie). */
function webUiCors(webUiOrigin: string): RequestHandler {
  return (req, res, next) => {
    const origin = req.header('origin');
    if (origin === webUiOrigin) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization, caller-type');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(origin === webUiOrigin ? 204 : 403).end();
      return;
    }
    next();
  };
}

export function codecRoutes(deps: { cfg: Config; db: DataSource; sessions: WebUiSessions }): {
  routes: Route[];
  router: Router;
} {
  const ring = codecKeyring(deps.cfg.CODEC_KEY_ID, deps.cfg.CODEC_KEY, deps.cfg.CODEC_OLD_KEYS);
  const codec = new EncryptionCodec(ring);
  // What the Web UI encodes (e.g. a query's arguments) is sealed for display only: the worker refuses it.
  const displayCodec = displayOnlyCodec(ring);
  const { verifyCurrent: verify } = createAuthenticator(deps.cfg, deps.db);

  const signedInAs = codecRoleCheck(deps.sessions, verify);

  const routes = [
    defineRoute({
      method: 'post',
      path: '/v1/codec/encode',
      summary: 'Payload codec for the Web UI: encrypt',
      roles: WEB_UI_ROLES,
      credential: 'token_or_session',
      request: { body: payloadsSchema },
      responses: { 200: json(payloadsAnswer, 'encoded payloads'), ...errors },
      handler: async ({ body: { payloads } }, _req, res) => {
        res.json({ payloads: (await displayCodec.encode(payloads.map(fromJson))).map(toJson) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/codec/decode',
      summary: 'Payload codec for the Web UI: decrypt (audited)',
      roles: WEB_UI_ROLES,
      credential: 'token_or_session',
      request: { body: payloadsSchema },
      responses: { 200: json(payloadsAnswer, 'decoded payloads'), ...errors },
      handler: async ({ body: { payloads } }, req, res) => {
        const decoded = await codec.decode(payloads.map(fromJson)).catch(() => {
          throw new AppError(
            422,
            'undecodable_payload',
            'a payload could not be decrypted with any key in the keyring',
          );
        });
        const actor = req.actor!;
        await appendAudit(deps.db.manager, {
          actorSub: actor.sub,
          actorRole: actor.role,
          action: 'codec.decoded',
          targetType: 'temporal_payloads',
          targetId: req.header('x-namespace') ?? null,
          details: { payloads: payloads.length },
        });
        res.json({ payloads: decoded.map(toJson) });
      },
    }),
  ];

  const router = Router();
  router.use(webUiCors(deps.cfg.WEB_UI_ORIGIN));
  router.use(express.json({ limit: '4mb' }));
  return { routes, router: mountRoutes(router, routes, '/v1/codec', signedInAs) };
}

const html = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** A path inside the Web UI to return to after sign-in; anything that could leave it is dropped. */
const safeNext = (v: unknown) =>
  typeof v === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(v) && v.length <= 2000 ? v : '/';

/**
 * A local sign-in for the Web UI: paste a manager's token, get an opaque HttpOnly session cookie
 * that the browser sends to the codec routes and to the Web UI gateway, then go back to the Web
 * UI. `/v1/session/current` says who a session is (the gateway asks it); sign-out ends it.
 */
export function sessionRoutes(deps: { cfg: Config; db: DataSource; sessions: WebUiSessions }): Route[] {
  const { verifyCurrent: verify } = createAuthenticator(deps.cfg, deps.db);
  const current = (req: Request) => sessionActor(req, deps.sessions, verify);

  return [...signInRoutes(deps, verify, current), ...signedInSessionRoutes(deps, current)];
}

type SessionDeps = { cfg: Config; db: DataSource; sessions: WebUiSessions };
type CurrentActor = (req: Request) => Promise<Actor | undefined>;

/** The sign-in form, and signing in with a token. */
function signInRoutes(deps: SessionDeps, verify: (t: string) => Promise<Actor>, current: CurrentActor): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/session',
      summary: 'Sign-in form for the Web UI codec',
      roles: 'public',
      responses: { 200: text('an HTML form', 'text/html'), 429: signInBlocked },
      handler: async (_input, req, res) => {
        // The form posts here and is then redirected to the Web UI: form-action must allow both.
        res.setHeader(
          'Content-Security-Policy',
          `default-src 'none'; form-action 'self' ${deps.cfg.WEB_UI_ORIGIN}; base-uri 'none'; frame-ancestors 'none'`,
        );
        const actor = await current(req).catch(() => undefined);
        const next = html(safeNext(req.query.next));
        res
          .type('html')
          .send(
            `<!doctype html><meta charset="utf-8"><title>Sign in for the Web UI</title>` +
              (actor
                ? `<form method="post" action="/v1/session/sign-out"><p>Signed in as ${html(actor.sub)} (${actor.role}). <button type="submit">Sign out</button></p></form>`
                : '') +
              `<form method="post" action="/v1/session"><p>Paste a manager or compliance token (<code>npm run token -- --role manager --sub m1</code>):</p>` +
              `<input type="hidden" name="next" value="${next}"><input name="token" size="80" autofocus> <button type="submit">Sign in</button></form>`,
          );
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/session',
      summary: 'Sign in: sets the session cookie the Web UI sends to the codec, then redirects to the UI',
      // The token comes in the form: the handler verifies it and checks its role.
      roles: WEB_UI_ROLES,
      checksRolesItself: true,
      credential: 'none',
      request: { form: z.object({ token: z.string(), next: z.string().optional() }) },
      before: [express.urlencoded({ extended: false, limit: '8kb' })],
      responses: { 303: text('to the Web UI'), ...errors },
      handler: async (_input, req, res) => {
        // A form posted from another site (login CSRF) would sign the browser in as someone else.
        if (crossSite(req)) throw new AppError(403, 'cross_site_sign_in', 'sign in from the sign-in page itself');
        const body = (req.body ?? {}) as Record<string, unknown>;
        const token = String(body.token ?? '').trim();
        const actor = await verify(token);
        req.actor = actor;
        if (!mayUseWebUi(actor))
          throw new AppError(403, 'forbidden', 'only managers and compliance officers may sign in to the Web UI');
        await appendAudit(deps.db.manager, {
          actorSub: actor.sub,
          actorRole: actor.role,
          action: 'session.signed_in',
          targetType: 'web_ui',
          targetId: null,
        });
        const { id } = deps.sessions.open(token, actor);
        res.cookie(SESSION_COOKIE, id, { ...cookieOptions(req), maxAge: SESSION_MAX_AGE_MS });
        const back = safeNext(body.next);
        res.redirect(303, back === '/' ? deps.cfg.WEB_UI_ORIGIN : deps.cfg.WEB_UI_ORIGIN.replace(/\/$/, '') + back);
      },
    }),
  ];
}

/** Who a session signs in, and signing out. */
function signedInSessionRoutes(deps: SessionDeps, current: CurrentActor): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/session/current',
      summary: 'Who the Web UI session cookie signs in (the Web UI gateway asks)',
      roles: WEB_UI_ROLES,
      checksRolesItself: true,
      credential: 'session',
      responses: { 200: json(z.object({ sub: z.string(), role: z.string() }), 'the session’s actor'), ...errors },
      handler: async (_input, req, res) => {
        const actor = await current(req);
        if (!actor) throw new AppError(401, 'unauthenticated', 'no session: sign in at /v1/session');
        if (!mayUseWebUi(actor))
          throw new AppError(403, 'forbidden', 'only managers and compliance officers may use the Web UI');
        res.setHeader('Cache-Control', 'no-store');
        res.json({ sub: actor.sub, role: actor.role });
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/session/sign-out',
      summary: 'Sign out: ends the Web UI session and clears its cookie, then redirects to the sign-in form',
      roles: 'public',
      responses: { 303: text('to the sign-in form'), 429: signInBlocked },
      handler: async (_input, req, res) => {
        const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
        const ended = id && SESSION_ID.test(id) ? deps.sessions.end(id) : undefined;
        if (ended) {
          await appendAudit(deps.db.manager, {
            actorSub: ended.sub,
            actorRole: ended.role,
            action: 'session.signed_out',
            targetType: 'web_ui',
            targetId: null,
          });
        }
        res.clearCookie(SESSION_COOKIE, cookieOptions(req));
        res.redirect(303, '/v1/session');
      },
    }),
  ];
}
