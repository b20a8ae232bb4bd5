import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowBundleOptions } from './workflow-code';
import { config } from '../platform/config';
import { openDatabase } from '../platform/db/data-source';
import { createLogger } from '../platform/logger';
import { connectClient, connectWorker } from '../platform/temporal/connection';
import { startNotificationRelay } from '../modules/lead/activities/notification-relay';
import { ensureSchedules } from '../modules/maintenance/schedules';
import { createLeadWorker, createMaintenanceWorker, runWorkers } from './worker';

/**
 * Worker process: a worker of the case queue and one of the maintenance queue, until SIGINT/SIGTERM,
 * then both drain and it exits.
 */
async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger('worker', cfg.LOG_LEVEL, cfg.LOG_PRETTY === '1');
  const db = await openDatabase(cfg.DATABASE_URL, { poolMax: cfg.DATABASE_POOL_MAX });
  const client = await connectClient(cfg);
  const { created, updated } = await ensureSchedules(client, cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE);
  if (created.length) logger.info({ schedules: created }, 'schedules created');
  if (updated.length)
    logger.info(
      { schedules: updated, taskQueue: cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE },
      'schedules updated to their definitions',
    );
  await client.connection.close();

  const connection = await connectWorker(cfg);
  // Without a prebuilt bundle, the workflows are bundled once here for both workers.
  const code = cfg.WORKFLOW_BUNDLE_PATH
    ? undefined
    : (await bundleWorkflowCode({ ...workflowBundleOptions, logger: new DefaultLogger('WARN') })).code;
  const bundle = { workflowBundlePath: cfg.WORKFLOW_BUNDLE_PATH, workflowBundleCode: code };
  const worker = await createLeadWorker({ cfg, db, connection, ...bundle });
  const maintenance = await createMaintenanceWorker({
    cfg,
    db,
    connection,
    ...bundle,
    sweep: {
      onChunk: ({ phase, attempt, caseIds }) =>
        logger.debug({ phase, attempt, cases: caseIds.length }, 'retention sweep chunk done'),
    },
  });
  const stopRelay =
    cfg.NOTIFY_WEBHOOK_URL && cfg.NOTIFY_WEBHOOK_SECRET
      ? startNotificationRelay({ db, url: cfg.NOTIFY_WEBHOOK_URL, secret: cfg.NOTIFY_WEBHOOK_SECRET, logger })
      : async () => {};
  logger.info(
    {
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      maintenanceTaskQueue: cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE,
      namespace: cfg.TEMPORAL_NAMESPACE,
    },
    'worker started',
  );
  try {
    await runWorkers([worker, maintenance]); // returns after a shutdown signal once in-flight tasks finish
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
