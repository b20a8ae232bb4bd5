import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Payload } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import { appendAudit } from '../../db/audit';
import { codecKeyring, EncryptionCodec } from '../../infra/payload-codec';
import { createAuthenticator, type Actor } from '../auth';
import { AppError } from '../errors';

/**
 * The remote payload codec for the Temporal Web UI (its "Codec Server" setting points here). Only
 * a manager or a compliance officer may use it, signed in the way the Web UI can send it: the
 * access token it passes (`Authorization: Bearer …`), or, locally, the session cookie that
 * `/v1/session` sets and the UI sends with cross-origin credentials. Every decode is audited.
 */
export const SESSION_COOKIE = 'lce_session';
const payloadsSchema = z.strictObject({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })).max(1000),
});
const b64 = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('base64') : undefined);
const fromJson = (p: { metadata?: Record<string, string>; data?: string }): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: p.data === undefined ? undefined : Buffer.from(p.data, 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)!])),
  data: b64(p.data),
});

function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...rest] = part.trim().split('=');
    if (k === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export function codecRoutes(deps: { cfg: Config; db: DataSource }): Router {
  const r = Router();
  const codec = new EncryptionCodec(codecKeyring(deps.cfg.CODEC_KEY_ID, deps.cfg.CODEC_KEY, deps.cfg.CODEC_OLD_KEYS));
  const { verify } = createAuthenticator(deps.cfg, deps.db);

  // CORS for the Web UI's origin only, with credentials (the session cookie).
  r.use((req, res, next) => {
    const origin = req.header('origin');
    if (origin === deps.cfg.WEB_UI_ORIGIN) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization, caller-type');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(origin === deps.cfg.WEB_UI_ORIGIN ? 204 : 403).end();
      return;
    }
    next();
  });

  const signedIn: RequestHandler = (req, _res, next) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : cookieValue(req, SESSION_COOKIE);
    if (!token) return next(new AppError(401, 'unauthenticated', 'sign in at /v1/session, or pass the access token'));
    verify(token).then((actor: Actor) => {
      req.actor = actor; // set first, so that a refusal below is audited with who tried
      if (actor.role !== 'manager' && actor.role !== 'compliance') return next(new AppError(403, 'forbidden', 'only managers and compliance officers may decode payloads'));
      next();
    }, next);
  };

  r.use(express.json({ limit: '4mb' }));
  r.post('/encode', signedIn, async (req, res) => {
    const { payloads } = payloadsSchema.parse(req.body);
    res.json({ payloads: (await codec.encode(payloads.map(fromJson))).map(toJson) });
  });
  r.post('/decode', signedIn, async (req, res) => {
    const { payloads } = payloadsSchema.parse(req.body);
    const decoded = await codec.decode(payloads.map(fromJson)).catch(() => {
      throw new AppError(422, 'undecodable_payload', 'a payload could not be decrypted with any key in the keyring');
    });
    const actor = req.actor!;
    await appendAudit(deps.db.manager, {
      actorSub: actor.sub, actorRole: actor.role, action: 'codec.decoded', targetType: 'temporal_payloads', targetId: req.header('x-namespace') ?? null,
      details: { payloads: payloads.length },
    });
    res.json({ payloads: decoded.map(toJson) });
  });
  return r;
}

/**
 * A local sign-in for the Web UI: paste a manager's token, get an HttpOnly session cookie that the
 * browser sends to the codec routes, then go back to the Web UI.
 */
export function sessionRoutes(deps: { cfg: Config; db: DataSource }): Router {
  const r = Router();
  const { verify } = createAuthenticator(deps.cfg, deps.db);
  r.get('/session', (_req, res) => {
    // The form posts here and is then redirected to the Web UI: form-action must allow both.
    res.setHeader('Content-Security-Policy', `default-src 'none'; form-action 'self' ${deps.cfg.WEB_UI_ORIGIN}; base-uri 'none'; frame-ancestors 'none'`);
    res
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>Sign in for the Web UI</title>` +
          `<form method="post" action="/v1/session"><p>Paste a manager or compliance token (<code>npm run token -- --role manager --sub m1</code>):</p>` +
          `<input name="token" size="80" autofocus> <button type="submit">Sign in</button></form>`,
      );
  });
  r.post('/session', express.urlencoded({ extended: false, limit: '8kb' }), async (req, res, next) => {
    try {
      const token = String((req.body as Record<string, unknown>)?.token ?? '').trim();
      const actor = await verify(token);
      req.actor = actor;
      if (actor.role !== 'manager' && actor.role !== 'compliance') throw new AppError(403, 'forbidden', 'only managers and compliance officers may sign in to decode payloads');
      await appendAudit(deps.db.manager, { actorSub: actor.sub, actorRole: actor.role, action: 'session.signed_in', targetType: 'web_ui', targetId: null });
      res.cookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'lax', path: '/v1/codec', maxAge: 8 * 3600_000 });
      res.redirect(303, deps.cfg.WEB_UI_ORIGIN);
    } catch (err) {
      next(err);
    }
  });
  return r;
}
