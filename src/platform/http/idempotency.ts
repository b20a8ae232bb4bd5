import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { idempotencyOwner } from '../domain/actor';
import { AppError } from './errors';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set when the request carries an Idempotency-Key (every POST but intake). */
    idempotency?: { scope: string; key: string; updateId: string };
  }
}

/**
 * How long a request that never stored its answer holds its key. After that it is taken to have
 * died with its process (a crash, a kill, a lost connection to Postgres). A repeat of a case or
 * complaint action (RESUMABLE) then runs again instead of getting 409 for ever: it sends its Update
 * with the same Update ID, so the workflow answers it from the first Update if that one arrived.
 */
export const ABANDONED_AFTER_SECONDS = 120;

/**
 * The Update ID a request with an Idempotency-Key sends: the same for a repeat of it, so that the
 * workflow answers a repeat from the first Update instead of acting again (Temporal keeps one
 * Update per ID in a workflow run). A hash: it names no person and fits any key.
 */
const updateIdFor = (scope: string, key: string, requestHash: string) =>
  `idem-${createHash('sha256').update(`${scope}\n${key}\n${requestHash}`).digest('hex').slice(0, 40)}`;

/**
 * The routes whose abandoned keys may be taken over: each acts on a case or a complaint through one
 * workflow Update, which the Update ID keeps from acting twice. Any other POST (an API key, a
 * publication), except those in TAKEOVER_SAFE, could do its work a second time, so its abandoned key
 * keeps answering 409.
 */
const RESUMABLE = [
  /^\/leads\/[^/]+\/(consents|consents\/withdraw|review|human-review|contact-attempts|do-not-contact|selection|outcome|assignment|legal-hold)$/,
  /^\/complaints\/[^/]+\/(first-response|escalation|close|legal-hold)$/,
];

/**
 * Routes that store their answer under the key in the same transaction as their work: a key still
 * unanswered after ABANDONED_AFTER_SECONDS means that work never committed, so a repeat may do it.
 */
const TAKEOVER_SAFE = [/^\/complaints$/];

/**
 * Routes whose requests are not stored under their key. A blacklist request's body is a phone or
 * an ID number and a code, a lender-application report little more: even its hash could be matched
 * against every possible number. Each is idempotent by nature, so a repeat simply does it again.
 */
const NOT_STORED = /^\/(blacklist(\/|$)|lender-applications$)/;

declare module 'express-serve-static-core' {
  interface Locals {
    /** What a repeat of this request gets, when it must not be the answer itself (a secret shown once). */
    idempotentBody?: unknown;
  }
}

/**
 * Idempotency-Key for every POST: the first request's answer is stored (anything but a 5xx) and a
 * repeat with the same key and body gets it back without doing anything again. A key reused with a
 * different body is refused; a repeat while the first is still running gets 409, unless the first
 * was abandoned (ABANDONED_AFTER_SECONDS). Intake has its own, transactional handling
 * (POST /v1/leads) and is skipped here.
 */
export function idempotency(db: DataSource): RequestHandler {
  return async (req, res, next) => {
    const key = req.header('idempotency-key');
    if (req.method !== 'POST' || key === undefined || req.path === '/leads' || NOT_STORED.test(req.path) || !req.actor)
      return next();
    if (!/^[\x21-\x7e]{1,128}$/.test(key))
      return next(
        new AppError(422, 'invalid_idempotency_key', 'Idempotency-Key must be 1-128 visible ASCII characters'),
      );
    const scope = `${idempotencyOwner(req.actor)}:POST ${req.baseUrl}${req.path}`;
    const requestHash = createHash('sha256')
      .update(JSON.stringify(req.body ?? null))
      .digest('hex');
    try {
      const inserted = await db.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response) VALUES ($1,$2,$3,0,'null') ON CONFLICT DO NOTHING RETURNING 1`,
        [scope, key, requestHash],
      );
      if (inserted.length === 0) {
        const [prior] = await db.query(
          'SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2',
          [scope, key],
        );
        if (prior.request_hash !== requestHash)
          throw new AppError(
            422,
            'idempotency_key_reused',
            'this Idempotency-Key was already used for a different request',
          );
        if (prior.status_code !== 0) {
          res.setHeader('idempotent-replayed', 'true');
          res
            .status(prior.status_code)
            .type(prior.status_code >= 400 ? 'application/problem+json' : 'application/json')
            .send(JSON.stringify(prior.response));
          return;
        }
        // Still unanswered: running now, or abandoned by a request that died. Only one repeat can take it over.
        const resumable = [...RESUMABLE, ...TAKEOVER_SAFE].some((route) => route.test(req.path));
        const [{ n: takenOver }] = !resumable
          ? [{ n: 0 }]
          : await db.query(
              `WITH taken AS (
             UPDATE idempotency_keys SET created_at = now()
              WHERE scope = $1 AND key = $2 AND status_code = 0 AND created_at < now() - make_interval(secs => $3) RETURNING 1)
           SELECT count(*)::int AS n FROM taken`,
              [scope, key, ABANDONED_AFTER_SECONDS],
            );
        if (takenOver === 0)
          throw new AppError(
            409,
            'request_in_progress',
            'a request with this Idempotency-Key is still being processed',
            { retryable: true },
          );
      }
    } catch (err) {
      return next(err);
    }
    req.idempotency = { scope, key, updateId: updateIdFor(scope, key, requestHash) };
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const store =
        status >= 500
          ? // A 5xx frees the key for a retry, unless the work stored its answer with itself (TAKEOVER_SAFE):
            // then it was done, and a retry gets that answer.
            db.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code = 0', [scope, key])
          : db.query('UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE scope = $1 AND key = $2', [
              scope,
              key,
              status,
              JSON.stringify(res.locals.idempotentBody ?? body),
            ]);
      store.catch(() => undefined).finally(() => send(body));
      return res;
    };
    next();
  };
}
