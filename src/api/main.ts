import { createServer } from 'node:http';
import { config } from '../platform/config';
import { warnIfCalendarEnds } from '../platform/config/official-calendar';
import { openDatabase } from '../platform/db/data-source';
import { createLogger } from '../platform/logger';
import { connectClient } from '../platform/temporal/connection';
import { ACTION_ANSWER_MS } from '../platform/temporal/calls';
import { createApp, flushRefusalAudit } from './app';
import { drain } from '../platform/http/shutdown';
import { warmRegionLookups } from '../platform/geo';

/** API process: serves until SIGINT/SIGTERM, then stops taking requests and answers those in flight. */
async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger('api', cfg.LOG_LEVEL, cfg.LOG_PRETTY === '1');
  warnIfCalendarEnds(cfg, logger);
  // The phone-segment and IP data (about 0.2 s and 40 MB), loaded now rather than by the first intake.
  warmRegionLookups();
  const db = await openDatabase(cfg.DATABASE_URL, { poolMax: cfg.DATABASE_POOL_MAX });
  const temporal = await connectClient(cfg);
  const app = createApp({ cfg, db, temporal, logger });
  const server = createServer(app);
  server.listen(cfg.API_PORT, cfg.API_HOST, () =>
    logger.info({ port: cfg.API_PORT }, `API listening on http://localhost:${cfg.API_PORT}/v1`),
  );

  const stop = async (signal: string) => {
    logger.info({ signal }, 'API stopping: answering the requests in flight');
    // Longer than the longest wait of a request (an action's 15 s for its workflow's answer).
    await drain(server, {
      graceMs: ACTION_ANSWER_MS + 5_000,
      release: async () => {
        await flushRefusalAudit(app).catch(() => undefined);
        await temporal.connection.close().catch(() => undefined);
        await db.destroy().catch(() => undefined);
      },
    });
    logger.info('API stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  process.stderr.write(`API failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
