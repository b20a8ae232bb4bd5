import { config } from '../config';
import { openDatabase } from '../db/data-source';
import { createLogger } from '../infra/logger';
import { connectClient, connectWorker } from '../infra/temporal-connection';
import { startNotificationRelay } from '../activities/notification-relay';
import { ensureSchedules } from './schedules';
import { createLeadWorker } from './worker';

/** Worker process: runs workflows and activities until SIGINT/SIGTERM, then drains and exits. */
async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger('worker', cfg.LOG_LEVEL, cfg.LOG_PRETTY === '1');
  const db = await openDatabase(cfg.DATABASE_URL, { poolMax: cfg.DATABASE_POOL_MAX });
  const client = await connectClient(cfg);
  const { created, updated } = await ensureSchedules(client, cfg.TEMPORAL_TASK_QUEUE);
  if (created.length) logger.info({ schedules: created }, 'schedules created');
  if (updated.length) logger.info({ schedules: updated, taskQueue: cfg.TEMPORAL_TASK_QUEUE }, 'schedules updated to their definitions');
  await client.connection.close();

  const connection = await connectWorker(cfg);
  const worker = await createLeadWorker({ cfg, db, connection, workflowBundlePath: cfg.WORKFLOW_BUNDLE_PATH });
  const stopRelay =
    cfg.NOTIFY_WEBHOOK_URL && cfg.NOTIFY_WEBHOOK_SECRET
      ? startNotificationRelay({ db, url: cfg.NOTIFY_WEBHOOK_URL, secret: cfg.NOTIFY_WEBHOOK_SECRET, logger })
      : async () => {};
  logger.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, namespace: cfg.TEMPORAL_NAMESPACE }, 'worker started');
  try {
    await worker.run(); // returns after a shutdown signal once in-flight tasks finish
  } finally {
    await stopRelay();
    await connection.close();
    await db.destroy();
    logger.info('worker stopped');
  }
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
