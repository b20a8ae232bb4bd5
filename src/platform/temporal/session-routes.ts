import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { appendAudit } from '../audit/log';
import { createAuthenticator, type Actor } from '../http/auth';
import { AppError } from '../http/errors';
import { errors, json, signInBlocked, text } from '../http/openapi';
import { defineRoute, type Route } from '../http/route';
import {
  cookieOptions,
  cookieValue,
  crossSite,
  mayUseWebUi,
  SESSION_COOKIE,
  SESSION_ID,
  SESSION_MAX_AGE_MS,
  sessionActor,
  WEB_UI_ROLES,
  type WebUiSessions,
} from './web-ui-sessions';
import { pageLocale, refusalText, signInPage, SIGN_IN_STYLE_HASH } from './sign-in-page';

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
        res.setHeader('Content-Security-Policy', signInPolicy(deps.cfg));
        const actor = await current(req).catch(() => undefined);
        const links = { uiOrigin: deps.cfg.WEB_UI_ORIGIN, namespace: deps.cfg.TEMPORAL_NAMESPACE };
        res
          .type('html')
          .send(signInPage({ locale: pageLocale(req), next: safeNext(req.query.next), signedIn: actor, links }));
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
        try {
          await signIn(deps, verify, req, res);
        } catch (err) {
          // A person at the form reads why on the page; an API client gets the problem as usual.
          if (!(err instanceof AppError) || req.accepts(['json', 'html']) !== 'html') throw err;
          const next = safeNext(((req.body ?? {}) as Record<string, unknown>).next);
          const locale = pageLocale(req);
          res.setHeader('Content-Security-Policy', signInPolicy(deps.cfg));
          res
            .status(err.status)
            .type('html')
            .send(signInPage({ locale, next, refusal: refusalText(err.code, locale) }));
        }
      },
    }),
  ];
}

/** The sign-in page's policy: its own style only, and forms that post here or go back to the Web UI. */
const signInPolicy = (cfg: Config) =>
  `default-src 'none'; style-src ${SIGN_IN_STYLE_HASH}; form-action 'self' ${cfg.WEB_UI_ORIGIN}; base-uri 'none'; frame-ancestors 'none'`;

/** Verifies the pasted token, opens a session and redirects to the Web UI. */
async function signIn(
  deps: SessionDeps,
  verify: (t: string) => Promise<Actor>,
  req: Request,
  res: Response,
): Promise<void> {
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
