import { createServer } from 'node:http';
import { config } from '../config';
import { openDatabase } from '../db/data-source';
import { createLogger } from '../infra/logger';
import { connectClient } from '../infra/temporal-connection';
import { createApp } from './app';

/** API process: serves until SIGINT/SIGTERM, then stops taking requests and drains. */
async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger('api', cfg.LOG_LEVEL, cfg.LOG_PRETTY === '1');
  const db = await openDatabase(cfg.DATABASE_URL, { poolMax: cfg.DATABASE_POOL_MAX });
  const temporal = await connectClient(cfg);
  const server = createServer(createApp({ cfg, db, temporal, logger }));
  server.listen(cfg.API_PORT, cfg.API_HOST, () => logger.info({ port: cfg.API_PORT }, `API listening on http://localhost:${cfg.API_PORT}/v1`));

  const stop = (signal: string) => {
    logger.info({ signal }, 'API stopping');
    server.close(async () => {
      await temporal.connection.close().catch(() => undefined);
      await db.destroy().catch(() => undefined);
      process.exit(0);
    });
    server.closeAllConnections?.();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`API failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
