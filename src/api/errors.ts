import type { ErrorRequestHandler, RequestHandler } from 'express';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { ZodError } from 'zod';

/**
 * The one error type of the API: an HTTP status, a stable machine-readable `code`, and a message
 * fit to show a person. It never carries personal data.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} was not found`);
export const forbidden = (message = 'your role may not do this') => new AppError(403, 'forbidden', message);

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large',
  415: 'Unsupported Media Type', 422: 'Unprocessable Content', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export interface FieldError {
  path: string;
  message: string;
}

/** Field errors of a zod failure, with paths like `applicant.idNumber`; messages never echo the input. */
export function fieldErrors(err: ZodError): FieldError[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }));
}

function problemOf(err: unknown): { status: number; body: Record<string, unknown> } {
  if (err instanceof AppError) {
    return { status: err.status, body: { code: err.code, detail: err.message, ...err.extra } };
  }
  if (err instanceof ZodError) {
    return { status: 422, body: { code: 'validation_failed', detail: 'the request has invalid fields', errors: fieldErrors(err) } };
  }
  const e = err as { type?: string; status?: number; statusCode?: number; code?: string; message?: string };
  // Postgres refused a value (class 22: out of range, NUL in text, bad encoding): the input's fault, not ours.
  if (typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code)) {
    return { status: 422, body: { code: 'invalid_value', detail: 'a value is out of range or contains characters that cannot be stored' } };
  }
  // Postgres unreachable (refused, reset, shutting down or starting up, pool timeout, the connection lost
  // mid-transaction): the caller may retry; the transaction did not commit, so nothing half-done is kept.
  if (
    e?.code === 'ECONNREFUSED' || e?.code === 'ECONNRESET' || (typeof e?.code === 'string' && /^(08...|57P0[1-3])$/.test(e.code)) ||
    err instanceof QueryRunnerAlreadyReleasedError || err instanceof QueryRunnerProviderAlreadyReleasedError ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(e?.message ?? '')
  ) {
    return { status: 503, body: { code: 'database_unavailable', detail: 'the database is unreachable; nothing was stored, retry later', retryable: true } };
  }
  // Errors raised by express.json() and friends.
  if (e?.type === 'entity.parse.failed') return { status: 400, body: { code: 'malformed_json', detail: 'the body is not valid JSON' } };
  if (e?.type === 'entity.too.large') return { status: 413, body: { code: 'body_too_large', detail: 'the body is larger than the API accepts' } };
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return { status: 415, body: { code: 'unsupported_encoding', detail: 'send UTF-8 JSON' } };
  return { status: 500, body: { code: 'internal_error', detail: 'something went wrong on our side; the request ID helps us find it' } };
}

/** Maps every error to application/problem+json (RFC 9457) with a stable `code`. */
export function problemHandler(log: (err: unknown, status: number, code: string, req: Parameters<ErrorRequestHandler>[1]) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, body } = problemOf(err);
    log(err, status, String(body.code), req);
    res
      .status(status)
      .type('application/problem+json')
      .json({ type: `about:blank`, title: TITLES[status] ?? 'Error', status, ...body, instance: req.originalUrl.split('?')[0], requestId: res.getHeader('x-request-id') });
  };
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'route_not_found', `no route ${req.method} ${req.path}`));
};
