import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { createRemoteJWKSet, errors, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import type { Config } from '../config';
import type { Actor } from '../domain/actor';
import { ROLES, type Role } from '../domain/types';
import { AppError } from './errors';

// Still exported here: the API's modules and the tests take the caller's type with the authenticator.
export type { Actor };

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

/** Signing algorithms an identity provider's published keys may use: asymmetric only, never `none` or an HMAC. */
export const JWKS_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
/** How far apart our clock and a token issuer's may be. */
const CLOCK_TOLERANCE_S = 30;

const maxLifetimeSeconds = (cfg: Config) => Math.round(cfg.JWT_MAX_LIFETIME_HOURS * 3600);

/**
 * Whether the credential's holder is still current, read on every request (one primary-key lookup,
 * no cache): a broker must exist and be active, a channel must exist and not be suspended. Staff
 * roles have no table of their own here; their tokens' bounded lifetime is what ends their access.
 */
async function currentnessRefusal(db: DataSource, actor: Actor): Promise<AppError | null> {
  if (actor.role === 'broker') {
    const [row] = await db.query('SELECT active FROM brokers WHERE id = $1', [actor.sub]);
    if (!row) return new AppError(403, 'account_unknown', 'this credential names no broker the service knows');
    if (!row.active) return new AppError(403, 'account_deactivated', 'this broker account has been deactivated');
  }
  if (actor.role === 'channel') {
    const [row] = await db.query('SELECT suspended FROM channels WHERE id = $1', [actor.channelId]);
    if (!row) return new AppError(403, 'channel_unknown', 'this credential names no channel the service knows');
    if (row.suspended)
      return new AppError(
        403,
        'channel_suspended',
        `channel ${actor.channelId} is suspended: its credentials are refused`,
      );
  }
  return null;
}

/**
 * A bearer token's actor. The token must be signed with an allowed algorithm, name our issuer and
 * audience, and carry `sub`, `iat` and `exp` with a lifetime (exp − iat) within the configured
 * maximum and an `iat` that is not in the future: a token that never expires, or one dated ahead
 * to live longer, is refused. Expiry answers `token_expired`; anything else `invalid_token`.
 */
function tokenVerifier(cfg: Config): (token: string) => Promise<Actor> {
  const secret = new TextEncoder().encode(cfg.JWT_SECRET);
  const jwks: JWTVerifyGetKey | undefined = cfg.JWT_JWKS_URL
    ? createRemoteJWKSet(new URL(cfg.JWT_JWKS_URL))
    : undefined;
  const maxLifetime = maxLifetimeSeconds(cfg);

  return async function verify(token: string): Promise<Actor> {
    let payload: Record<string, unknown>;
    try {
      const options = {
        issuer: cfg.JWT_ISSUER,
        audience: cfg.JWT_AUDIENCE,
        requiredClaims: ['sub', 'iat', 'exp'],
        maxTokenAge: maxLifetime,
        clockTolerance: CLOCK_TOLERANCE_S,
      };
      ({ payload } = jwks
        ? await jwtVerify(token, jwks, { ...options, algorithms: JWKS_ALGORITHMS })
        : await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] }));
    } catch (err) {
      if (err instanceof errors.JWTExpired)
        throw new AppError(401, 'token_expired', 'the bearer token has expired: get a new one');
      throw new AppError(401, 'invalid_token', 'the bearer token is invalid');
    }
    if ((payload.exp as number) - (payload.iat as number) > maxLifetime) {
      throw new AppError(
        401,
        'invalid_token',
        `the bearer token lives longer than the ${cfg.JWT_MAX_LIFETIME_HOURS} hours allowed`,
      );
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success || (claims.data.role === 'channel' && !claims.data.channelId)) {
      throw new AppError(401, 'invalid_token', 'the bearer token is invalid');
    }
    return claims.data;
  };
}

/** A channel partner's key: `lck_<keyId>.<secret>`, compared by hash in constant time. */
async function verifyApiKey(db: DataSource | undefined, key: string): Promise<Actor> {
  const m = /^lck_([0-9a-f]{16})\.([A-Za-z0-9_-]{20,100})$/.exec(key);
  // A key revoked at a time still ahead (a rotation's overlap) works until then.
  const [row] =
    m && db
      ? await db.query(
          'SELECT channel_id, secret_hash, coalesce(revoked_at <= now(), false) AS revoked FROM channel_api_keys WHERE key_id = $1',
          [m[1]],
        )
      : [];
  const given = Buffer.from(m ? sha256(m[2]) : '');
  if (
    !row ||
    row.revoked ||
    given.length !== row.secret_hash.length ||
    !timingSafeEqual(given, Buffer.from(row.secret_hash))
  ) {
    throw new AppError(401, 'invalid_api_key', 'the API key is unknown or revoked');
  }
  return { sub: `apikey:${m![1]}`, role: 'channel', channelId: row.channel_id };
}

export function createAuthenticator(cfg: Config, db?: DataSource) {
  const verify = tokenVerifier(cfg);

  /**
   * The actor of a request's credential, checked as current: a token or key alone is not enough once
   * its broker is deactivated or its channel suspended. A refused actor is still set on the request,
   * so that the refusal is audited with who tried.
   */
  async function authenticateRequest(req: Request): Promise<Actor> {
    const apiKey = req.header('x-api-key');
    let actor: Actor;
    if (apiKey) {
      actor = await verifyApiKey(db, apiKey);
    } else {
      const header = req.headers.authorization;
      if (!header?.startsWith('Bearer '))
        throw new AppError(401, 'unauthenticated', 'send Authorization: Bearer <token>, or X-API-Key for a channel');
      actor = await verify(header.slice('Bearer '.length).trim());
    }
    req.actor = actor;
    const refusal = db ? await currentnessRefusal(db, actor) : null;
    if (refusal) throw refusal;
    return actor;
  }

  /** Requires a current credential (bearer JWT, or a channel's X-API-Key); sets req.actor. */
  const authenticate: RequestHandler = (req: Request, _res: Response, next: NextFunction) => {
    authenticateRequest(req).then(() => next(), next);
  };

  /** A token's actor, checked as current (for routes that take the token another way, e.g. a cookie). */
  async function verifyCurrent(token: string): Promise<Actor> {
    const actor = await verify(token);
    const refusal = db ? await currentnessRefusal(db, actor) : null;
    if (refusal) throw refusal;
    return actor;
  }

  return { authenticate, verify, verifyCurrent };
}

/** Allows only the listed roles through. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!req.actor) return next(new AppError(401, 'unauthenticated', 'sign in first'));
    if (!roles.includes(req.actor.role))
      return next(new AppError(403, 'forbidden', `role ${req.actor.role} may not do this`));
    next();
  };
}

export const actorOf = (req: Request): Actor => {
  if (!req.actor) throw new AppError(401, 'unauthenticated', 'sign in first');
  return req.actor;
};

/** A token lifetime such as `8h`, `30m`, `2d` or `90s`, in seconds; undefined when it is not one. */
export function lifetimeSeconds(text: string): number | undefined {
  const m =
    /^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?|y|yr|yrs|years?)\s*$/i.exec(
      text,
    );
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const scale = unit.startsWith('s')
    ? 1
    : unit.startsWith('mi') || unit === 'm'
      ? 60
      : unit.startsWith('h')
        ? 3600
        : unit.startsWith('d')
          ? 86_400
          : unit.startsWith('w')
            ? 604_800
            : 31_557_600;
  return Math.round(Number(m[1]) * scale);
}

export class TokenLifetimeError extends Error {
  override name = 'TokenLifetimeError';
}

/**
 * A signed local token (HS256), for operators and tests: `npm run token`. It names our issuer and
 * audience and lives `expiresIn` (by default 8 hours, or the maximum if that is shorter); a lifetime
 * over JWT_MAX_LIFETIME_HOURS is refused, as the API would refuse the token.
 */
export async function signToken(cfg: Config, actor: Actor, expiresIn?: string): Promise<string> {
  const max = maxLifetimeSeconds(cfg);
  const lifetime = expiresIn === undefined ? Math.min(8 * 3600, max) : lifetimeSeconds(expiresIn);
  if (lifetime === undefined || lifetime <= 0)
    throw new TokenLifetimeError(`"${expiresIn}" is not a lifetime: use a number with s, m, h or d, e.g. 8h`);
  if (lifetime > max) {
    throw new TokenLifetimeError(
      `a lifetime of ${expiresIn} is longer than the maximum of ${cfg.JWT_MAX_LIFETIME_HOURS} hours (JWT_MAX_LIFETIME_HOURS)`,
    );
  }
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: actor.role, team: actor.team, channelId: actor.channelId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(actor.sub)
    .setIssuer(cfg.JWT_ISSUER)
    .setAudience(cfg.JWT_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetime)
    .sign(new TextEncoder().encode(cfg.JWT_SECRET));
}
