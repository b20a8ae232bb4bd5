import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { AppError } from './errors';

/**
 * Idempotency-Key for every POST: the first request's answer is stored (anything but a 5xx) and a
 * repeat with the same key and body gets it back without doing anything again. A key reused with a
 * different body is refused; a repeat while the first is still running gets 409. Intake has its own,
 * transactional handling (POST /v1/leads) and is skipped here.
 */
export function idempotency(db: DataSource): RequestHandler {
  return async (req, res, next) => {
    const key = req.header('idempotency-key');
    if (req.method !== 'POST' || key === undefined || req.path === '/leads' || !req.actor) return next();
    if (!/^[\x21-\x7e]{1,128}$/.test(key)) return next(new AppError(422, 'invalid_idempotency_key', 'Idempotency-Key must be 1-128 visible ASCII characters'));
    const scope = `${req.actor.role}:${req.actor.sub}:POST ${req.baseUrl}${req.path}`;
    const requestHash = createHash('sha256').update(JSON.stringify(req.body ?? null)).digest('hex');
    try {
      const inserted = await db.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response) VALUES ($1,$2,$3,0,'null') ON CONFLICT DO NOTHING RETURNING 1`,
        [scope, key, requestHash],
      );
      if (inserted.length === 0) {
        const [prior] = await db.query('SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
        if (prior.request_hash !== requestHash) throw new AppError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
        if (prior.status_code === 0) throw new AppError(409, 'request_in_progress', 'a request with this Idempotency-Key is still being processed');
        res.setHeader('idempotent-replayed', 'true');
        res.status(prior.status_code).type(prior.status_code >= 400 ? 'application/problem+json' : 'application/json').send(JSON.stringify(prior.response));
        return;
      }
    } catch (err) {
      return next(err);
    }
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      const status = res.statusCode;
      const store = status >= 500
        ? db.query('DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key])
        : db.query('UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE scope = $1 AND key = $2', [scope, key, status, JSON.stringify(body)]);
      store.catch(() => undefined).finally(() => send(body));
      return res;
    };
    next();
  };
}
