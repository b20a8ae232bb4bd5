import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Config } from '../config';
import { ROLES, type Role } from '../domain/types';
import { AppError } from './errors';

/** Who is calling: from a bearer JWT (people) or a channel's API key. */
export interface Actor {
  sub: string;
  role: Role;
  team?: string;
  /** For role `channel`: the one channel this credential acts for. */
  channelId?: string;
}

declare module 'express-serve-static-core' {
  interface Request {
    actor?: Actor;
  }
}

const claimsSchema = z.object({
  sub: z.string().min(1),
  role: z.enum(ROLES),
  team: z.string().optional(),
  channelId: z.string().optional(),
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** A new channel API key `lck_<keyId>.<secret>`; only the secret's hash is stored. */
export function newApiKey(): { keyId: string; secret: string; key: string; secretHash: string } {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, secret, key: `lck_${keyId}.${secret}`, secretHash: sha256(secret) };
}

export function createAuthenticator(cfg: Config, db?: DataSource) {
  const secret = new TextEncoder().encode(cfg.JWT_SECRET);
  const jwks: JWTVerifyGetKey | undefined = cfg.JWT_JWKS_URL ? createRemoteJWKSet(new URL(cfg.JWT_JWKS_URL)) : undefined;

  async function verify(token: string): Promise<Actor> {
    try {
      const { payload } = jwks
        ? await jwtVerify(token, jwks, { issuer: cfg.JWT_ISSUER })
        : await jwtVerify(token, secret, { issuer: cfg.JWT_ISSUER, algorithms: ['HS256'] });
      const claims = claimsSchema.parse(payload);
      if (claims.role === 'channel' && !claims.channelId) throw new Error('channel token without channelId');
      return claims;
    } catch {
      throw new AppError(401, 'invalid_token', 'the bearer token is invalid or expired');
    }
  }

  /** A channel partner's key: `lck_<keyId>.<secret>`, compared by hash in constant time. */
  async function verifyApiKey(key: string): Promise<Actor> {
    const m = /^lck_([0-9a-f]{16})\.([A-Za-z0-9_-]{20,100})$/.exec(key);
    // A key revoked at a time still ahead (a rotation's overlap) works until then.
    const [row] = m && db
      ? await db.query('SELECT channel_id, secret_hash, coalesce(revoked_at <= now(), false) AS revoked FROM channel_api_keys WHERE key_id = $1', [m[1]])
      : [];
    const given = Buffer.from(m ? sha256(m[2]) : '');
    if (!row || row.revoked || given.length !== row.secret_hash.length || !timingSafeEqual(given, Buffer.from(row.secret_hash))) {
      throw new AppError(401, 'invalid_api_key', 'the API key is unknown or revoked');
    }
    return { sub: `apikey:${m![1]}`, role: 'channel', channelId: row.channel_id };
  }

  /** Requires a credential (bearer JWT, or a channel's X-API-Key); sets req.actor. */
  const authenticate: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    const apiKey = req.header('x-api-key');
    if (apiKey) {
      verifyApiKey(apiKey).then((actor) => {
        req.actor = actor;
        next();
      }, next);
      return;
    }
    const header = req.headers.authorization;
    if (!header?.startsWith('Bearer ')) {
      next(new AppError(401, 'unauthenticated', 'send Authorization: Bearer <token>, or X-API-Key for a channel'));
      return;
    }
    verify(header.slice('Bearer '.length).trim()).then(
      (actor) => {
        req.actor = actor;
        next();
      },
      next,
    );
  };

  return { authenticate, verify };
}

/** Allows only the listed roles through. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.actor) return next(new AppError(401, 'unauthenticated', 'sign in first'));
    if (!roles.includes(req.actor.role)) return next(new AppError(403, 'forbidden', `role ${req.actor.role} may not do this`));
    next();
  };
}

export const actorOf = (req: Request): Actor => {
  if (!req.actor) throw new AppError(401, 'unauthenticated', 'sign in first');
  return req.actor;
};

/** A signed local token (HS256), for operators and tests: `npm run token`. */
export async function signToken(cfg: Config, actor: Actor, expiresIn = '8h'): Promise<string> {
  return new SignJWT({ role: actor.role, team: actor.team, channelId: actor.channelId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.sub)
    .setIssuer(cfg.JWT_ISSUER)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(cfg.JWT_SECRET));
}
