import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Logger } from '../infra/logger';
import { createAuthenticator } from './auth';
import { AppError, problemHandler, unknownRoute } from './errors';
import { healthRoutes } from './routes/health';
import { leadRoutes } from './routes/leads';
import { referenceRoutes } from './routes/reference';

export interface AppDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
  logger: Logger;
}

/** The HTTP API: health first, then everything else behind authentication, and one error handler. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet());
  app.use((req, res, next) => {
    const id = req.header('x-request-id')?.slice(0, 100) || randomUUID();
    res.setHeader('x-request-id', id);
    next();
  });
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => String(res.getHeader('x-request-id')),
      // Only method, path and status: bodies and query strings may hold personal data.
      serializers: {
        req: (req) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
        res: (res) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(healthRoutes(deps));

  const v1 = express.Router();
  v1.use((req, _res, next) => {
    if (['POST', 'PUT', 'PATCH'].includes(req.method) && req.headers['content-length'] !== '0' && (req.headers['content-length'] || req.headers['transfer-encoding'])) {
      if (!req.is('application/json')) return next(new AppError(415, 'unsupported_media_type', 'send the body as application/json'));
    }
    next();
  });
  v1.use(express.json({ limit: '64kb', strict: true }));
  const { authenticate } = createAuthenticator(deps.cfg);
  v1.use(authenticate);
  v1.use(leadRoutes(deps));
  v1.use(referenceRoutes(deps));
  app.use('/v1', v1);

  app.use(unknownRoute);
  app.use(
    problemHandler((err, status) => {
      if (status >= 500) deps.logger.error({ err: err instanceof Error ? { type: err.name, message: err.message, stack: err.stack } : String(err) }, 'request failed');
    }),
  );
  return app;
}
