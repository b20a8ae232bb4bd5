import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import { appendAudit } from '../audit/log';
import { codecKeyring, displayOnlyCodec, EncryptionCodec } from './payload-codec';
import type { Role } from '../domain/types';
import { createAuthenticator, type Actor } from '../http/auth';
import { AppError } from '../http/errors';
import { errors, json } from '../http/openapi';
import { defineRoute, mountRoutes, type Route } from '../http/route';
import { sessionActor, WEB_UI_ROLES, type WebUiSessions } from './web-ui-sessions';

/**
 * The remote payload codec for the Temporal Web UI (its "Codec Server" setting points here). Only
 * a manager or a compliance officer may use it, signed in the way the Web UI can send it: the
 * access token it passes (`Authorization: Bearer …`), or the session cookie that `/v1/session`
 * sets and the UI sends with cross-origin credentials (./web-ui-sessions.ts). Every decode is audited.
 */

const payloadSchema = z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() });
// The CLI sends `{}` for an empty list (metadata, a query with no arguments): that is no payloads, not an error.
const payloadsSchema = z.strictObject({ payloads: z.array(payloadSchema).max(1000).default([]) });
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
