import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { rateLimit, type Store } from 'express-rate-limit';
import swaggerUi from 'swagger-ui-express';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Config } from '../platform/config';
import type { Logger } from '../platform/logger';
import { createAuthenticator } from '../platform/http/auth';
import { authFailureLimit, ABUSE_WINDOW_MS, RefusalAudit } from '../platform/http/abuse-limits';
import { PostgresRateLimitStore } from '../platform/http/rate-limit-store';
import { AppError, problemHandler, unknownRoute } from '../platform/http/errors';
import { idempotency } from '../platform/http/idempotency';
import { createMetrics, type Metrics } from '../platform/http/metrics';
import { buildOpenApiDocument } from '../platform/http/openapi';
import { mountRoutes } from '../platform/http/route';
import { apiKeyRoutes } from '../modules/channel/routes/api-keys';
import { auditRoutes } from '../modules/audit/routes';
import { newestAuditCheckpoint } from '../modules/audit/service/checkpoints';
import { channelRoutes } from '../modules/channel/routes/channels';
import { codecRoutes } from '../platform/temporal/codec-routes';
import { SESSION_COOKIE, WebUiSessions } from '../platform/temporal/web-ui-sessions';
import { sessionRoutes } from '../platform/temporal/session-routes';
import { complaintRoutes } from '../modules/complaint/routes';
import { complianceDataRoutes } from '../modules/reference/routes/compliance-data';
import { healthRoutes } from '../platform/http/health-routes';
import { legalHoldRoutes } from '../modules/lead/routes/legal-holds';
import { leadRoutes } from '../modules/lead/routes/cases';
import { caseActionRoutes } from '../modules/lead/routes/case-actions';
import { lenderSharingRoutes } from '../modules/lead/routes/lender-sharing';
import { reportRoutes } from '../modules/lead/routes/reports';
import { postLoanRoutes } from '../modules/post-loan/routes';
import { referenceRoutes } from '../modules/reference/routes/matrices';

export interface AppDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
  logger: Logger;
}

/**
 * The HTTP API: health first, then everything else behind authentication, and one error handler.
 * Each route is declared once (src/platform/http/route.ts); the routers and /openapi.json come from the same declarations.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  const metrics = createMetrics({
    db: deps.db,
    newestCheckpointAt: async () => {
      const newest = await newestAuditCheckpoint(deps.temporal, deps.cfg.TEMPORAL_TASK_QUEUE);
      return newest ? new Date(newest.at) : null;
    },
  });
  const sessions = new WebUiSessions(); // shared: the codec accepts the sessions /v1/session opens
  const opsRoutes = healthRoutes({ ...deps, metrics });
  const codec = codecRoutes({ ...deps, sessions });
  const webUiSessionRoutes = sessionRoutes({ ...deps, sessions });
  const v1Routes = [
    ...leadRoutes({ ...deps, metrics }),
    ...caseActionRoutes(deps),
    ...lenderSharingRoutes(deps),
    ...reportRoutes(deps),
    ...legalHoldRoutes(deps),
    ...postLoanRoutes(deps),
    ...referenceRoutes(deps),
    ...apiKeyRoutes(deps),
    ...complianceDataRoutes(deps),
    ...complaintRoutes(deps),
    ...channelRoutes(deps),
    ...auditRoutes(deps),
  ];
  const openapi = buildOpenApiDocument([...v1Routes, ...codec.routes, ...webUiSessionRoutes, ...opsRoutes], {
    sessionCookie: SESSION_COOKIE,
  });
  app.disable('x-powered-by');
  app.set('trust proxy', deps.cfg.TRUST_PROXY);
  app.use(helmet());
  app.use(assignRequestId);
  app.use(requestLog(deps.logger));
  app.use(metrics.middleware);
  app.use(mountRoutes(express.Router(), opsRoutes));
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  // Swagger UI serves inline scripts and styles: a relaxed policy on /docs only.
  app.use(
    '/docs',
    helmet({ contentSecurityPolicy: false }),
    swaggerUi.serve,
    swaggerUi.setup(openapi, { customSiteTitle: 'Lead case engine API' }),
  );

  // Failed authentication is limited per client address; refusals are audited, bounded, per actor.
  // Their counters are shared by every replica through Postgres (RATE_LIMIT_SCOPE keeps deployments apart).
  const authFailures = authFailureLimit(
    deps.cfg.AUTH_FAILURES_PER_MINUTE,
    new PostgresRateLimitStore(deps.db, deps.cfg.RATE_LIMIT_SCOPE, 'auth-failures'),
  );
  const refusals = new RefusalAudit(deps.db, deps.logger, {
    limit: deps.cfg.REFUSALS_PER_MINUTE,
    immediate: 5,
    windowMs: ABUSE_WINDOW_MS,
    store: new PostgresRateLimitStore(deps.db, deps.cfg.RATE_LIMIT_SCOPE, 'refusals'),
  });
  app.locals.refusalAudit = refusals;
  app.use('/v1', authFailures.gate);

  app.use('/v1/codec', codec.router);
  app.use('/v1', mountRoutes(express.Router(), webUiSessionRoutes, '/v1'));

  app.use('/v1', v1Router(deps, v1Routes, authFailures, refusals));

  app.use(unknownRoute);
  app.use(authFailures.count);
  app.use(refusals.count);
  app.use(problemHandler(logProblem(deps.logger, metrics, refusals)));
  return app;
}

const assignRequestId: RequestHandler = (req, res, next) => {
  const id = req.header('x-request-id')?.slice(0, 100) || randomUUID();
  res.setHeader('x-request-id', id);
  next();
};

function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (_req, res) => String(res.getHeader('x-request-id')),
    // Only method, path and status: bodies and query strings may hold personal data.
    serializers: {
      req: (req) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
  });
}

/** The signed-in API: body checks, authentication, refusal and rate limits, idempotency, then the routes. */
function v1Router(
  deps: AppDeps,
  routes: Parameters<typeof mountRoutes>[1],
  authFailures: ReturnType<typeof authFailureLimit>,
  refusals: RefusalAudit,
) {
  const v1 = express.Router();
  v1.use(requireJsonBody);
  v1.use(express.json({ limit: '64kb', strict: true }));
  const { authenticate } = createAuthenticator(deps.cfg, deps.db);
  v1.use(authFailures.pending, authenticate, authFailures.passed);
  v1.use(refusals.gate);
  v1.use(
    credentialRateLimit(
      deps.cfg.RATE_LIMIT_PER_MINUTE,
      new PostgresRateLimitStore(deps.db, deps.cfg.RATE_LIMIT_SCOPE, 'credential', CREDENTIAL_BATCH_MS),
    ),
  );
  v1.use(idempotency(deps.db));
  v1.use(mountRoutes(express.Router(), routes, '/v1'));
  v1.use(refusals.noteRoute);
  return v1;
}

const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (
    ['POST', 'PUT', 'PATCH'].includes(req.method) &&
    req.headers['content-length'] !== '0' &&
    (req.headers['content-length'] || req.headers['transfer-encoding'])
  ) {
    if (!req.is('application/json'))
      return next(new AppError(415, 'unsupported_media_type', 'send the body as application/json'));
  }
  next();
};

/** How long a process may count a credential's requests in memory before writing them (far below its limit). */
const CREDENTIAL_BATCH_MS = 1_000;

/** Requests per minute per credential, counted in `store` (shared by the replicas); a failing store lets requests pass. */
function credentialRateLimit(perMinute: number, store: Store) {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    store,
    passOnStoreError: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => req.actor?.sub ?? 'anonymous',
    handler: (_req, _res, next) =>
      next(new AppError(429, 'rate_limited', 'too many requests from this credential; slow down')),
  });
}

function logProblem(logger: Logger, metrics: Metrics, refusals: RefusalAudit): Parameters<typeof problemHandler>[0] {
  return (err, status, code, req) => {
    if (status >= 500)
      logger.error(
        { err: err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : String(err) },
        'request failed',
      );
    else metrics.refusals.inc({ status: String(status), code });
    // Every refusal of a signed-in caller is evidence (who tried what), written within bounds.
    if (status === 403 && req.actor) refusals.record(req.actor, RefusalAudit.routeOf(req), code);
  };
}

/** Writes the refusal counts an app holds for windows still open (on shutdown, so none are lost). */
export async function flushRefusalAudit(app: Express): Promise<void> {
  await (app.locals.refusalAudit as RefusalAudit | undefined)?.flush();
}
