import type { ErrorRequestHandler, RequestHandler } from 'express';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { ZodError } from 'zod';
import { DomainError } from '../domain/errors';
import { fieldMessage, languageOf, problemDetail, problemTitle, type Language } from './language';
import { en } from './messages/en';

/**
 * An error of the HTTP edge itself (authentication, headers, media type, rate limits, an unknown
 * route), so it carries its status. Refusals of the domain are DomainError and get their status
 * from DOMAIN_STATUS. The message never carries personal data.
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

/**
 * The one place a domain error's code becomes an HTTP status. A code not listed is 422: the domain
 * refused the request as made (most workflow refusals, such as quiet_hours or no_selection).
 */
const STATUS_OF_CODES: Record<number, readonly string[]> = {
  403: [
    'channel_mismatch',
    'channel_suspended',
    'not_your_case',
    'not_your_channel',
    'not_your_check_ins',
    'unmask_forbidden',
    // The workflows check the verified sender's role too.
    'not_assigned_broker',
    'not_a_reviewer',
    'not_a_manager',
    'not_compliance',
  ],
  404: [
    'api_key_not_found',
    'broker_not_found',
    'case_not_found',
    'channel_not_found',
    'check_in_not_found',
    'complaint_not_found',
    'no_decision',
    'notice_not_found',
  ],
  // "Not now, in this state" rather than "not allowed": the same request may succeed later or elsewhere.
  409: [
    'api_key_revoked',
    'audit_chain_cut',
    'case_closed',
    'case_finished',
    'check_in_closed',
    'complaint_closed',
    'complaint_text_erased',
    'hold_the_case',
    'no_loan',
    'no_override',
    'notice_version_exists',
    'offboarding_in_progress',
    'revocation_would_extend',
    // Refusals of the case workflow.
    'message_replayed',
    'wrong_stage',
    'not_in_review',
    'already_submitted',
    'cost_disclosure_stale',
    'not_submitted',
    'already_assigned',
    'already_on_hold',
    'not_on_hold',
    'no_automated_decline',
    'legal_hold',
    'being_reassigned',
    // Refusals of the complaint workflow.
    'already_responded',
    'first_response_pending',
    'already_escalated',
    'action_in_progress',
  ],
  410: ['erased'],
  500: ['identity_missing'],
  503: ['temporal_unavailable', 'intake_busy', 'review_failed', 'action_timeout', 'audit_anchor_unavailable'],
};
const DOMAIN_STATUS = new Map(
  Object.entries(STATUS_OF_CODES).flatMap(([status, codes]) => codes.map((code) => [code, Number(status)] as const)),
);

const domainStatus = (code: string): number => DOMAIN_STATUS.get(code) ?? 422;

export interface FieldError {
  path: string;
  message: string;
}

/**
 * Field errors of a zod failure, with paths like `applicant.idNumber`; messages never echo the input.
 * Zod's own messages are already in the caller's language (the route parsed with zodErrorMap); the
 * schemas' own messages are translated here.
 */
export function fieldErrors(err: ZodError, lang: Language = 'en'): FieldError[] {
  return err.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(body)',
    message: fieldMessage(i.message, lang),
  }));
}

interface Problem {
  status: number;
  body: Record<string, unknown>;
}

/** What a driver or body-parser error may carry; none of it is guaranteed. */
interface LowLevelError {
  type?: string;
  code?: string;
  message?: string;
}

/** A problem of the HTTP edge itself, with its English detail from the catalogue. */
const edgeProblem = (status: number, code: keyof typeof en.codes, extra: Record<string, unknown> = {}): Problem => ({
  status,
  body: { code, detail: en.codes[code], ...extra },
});

const INVALID_VALUE = edgeProblem(422, 'invalid_value');
const DATABASE_UNAVAILABLE = edgeProblem(503, 'database_unavailable', { retryable: true });
const INTERNAL_ERROR = edgeProblem(500, 'internal_error');

// Errors raised by express.json() and friends, by their `type`.
const UNSUPPORTED_ENCODING = edgeProblem(415, 'unsupported_encoding');
const BODY_PARSER_PROBLEMS = new Map<string, Problem>([
  ['entity.parse.failed', edgeProblem(400, 'malformed_json')],
  ['entity.too.large', edgeProblem(413, 'body_too_large')],
  ['encoding.unsupported', UNSUPPORTED_ENCODING],
  ['charset.unsupported', UNSUPPORTED_ENCODING],
]);

/** Errors this codebase raises on purpose, each with its own code. */
function knownProblem(err: unknown, lang: Language): Problem | undefined {
  if (err instanceof DomainError) {
    return { status: domainStatus(err.code), body: { code: err.code, detail: err.message, ...err.details } };
  }
  if (err instanceof AppError) {
    return { status: err.status, body: { code: err.code, detail: err.message, ...err.extra } };
  }
  if (err instanceof ZodError) {
    return {
      status: 422,
      body: { code: 'validation_failed', detail: en.codes.validation_failed, errors: fieldErrors(err, lang) },
    };
  }
  return undefined;
}

// Postgres refused a value (class 22: out of range, NUL in text, bad encoding): the input's fault, not ours.
function isInvalidValue(e: LowLevelError | undefined): boolean {
  return typeof e?.code === 'string' && /^22[0-9A-Z]{3}$/.test(e.code);
}

// Postgres unreachable (refused, reset, shutting down or starting up, pool timeout, the connection lost
// mid-transaction): the caller may retry; the transaction did not commit, so nothing half-done is kept.
function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as LowLevelError | undefined;
  return (
    e?.code === 'ECONNREFUSED' ||
    e?.code === 'ECONNRESET' ||
    (typeof e?.code === 'string' && /^(08...|57P0[1-3])$/.test(e.code)) ||
    err instanceof QueryRunnerAlreadyReleasedError ||
    err instanceof QueryRunnerProviderAlreadyReleasedError ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(e?.message ?? '')
  );
}

/** Errors of the database driver and the body parser, recognised by their code or type. */
function lowLevelProblem(err: unknown): Problem | undefined {
  if (isInvalidValue(err as LowLevelError | undefined)) return INVALID_VALUE;
  if (isDatabaseUnavailable(err)) return DATABASE_UNAVAILABLE;
  return BODY_PARSER_PROBLEMS.get((err as LowLevelError | undefined)?.type ?? '');
}

/** The problem of an error, in `lang`: the detail by its code from the catalogue, else as raised (English). */
function problemOf(err: unknown, lang: Language): Problem {
  const { status, body } = knownProblem(err, lang) ?? lowLevelProblem(err) ?? INTERNAL_ERROR;
  return { status, body: { ...body, detail: problemDetail(String(body.code), String(body.detail), lang, body) } };
}

/**
 * Maps every error to application/problem+json (RFC 9457) with a stable `code`; `title`, `detail`
 * and the field messages are in the caller's language (src/platform/http/language.ts).
 */
export function problemHandler(
  log: (err: unknown, status: number, code: string, req: Parameters<ErrorRequestHandler>[1]) => void,
): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const lang = languageOf(req);
    const { status, body } = problemOf(err, lang);
    log(err, status, String(body.code), req);
    res
      .status(status)
      .vary('Accept-Language')
      .set('Content-Language', lang)
      .type('application/problem+json')
      .json({
        type: `about:blank`,
        title: problemTitle(status, lang),
        status,
        ...body,
        instance: req.originalUrl.split('?')[0],
        requestId: res.getHeader('x-request-id'),
      });
  };
}

export const unknownRoute: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'route_not_found', `no route ${req.method} ${req.path}`));
};
