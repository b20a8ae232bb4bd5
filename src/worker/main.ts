import { bundleWorkflowCode, DefaultLogger, type Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { workflowBundleOptions } from './workflow-code';
import { allowsLocalDefaults, config, type Config } from '../platform/config';
import { warnIfCalendarEnds } from '../platform/config/official-calendar';
import { openDatabase } from '../platform/db/data-source';
import { createLogger } from '../platform/logger';
import { connectClient, connectWorker } from '../platform/temporal/connection';
import { startHealthServer, type RunningHealthServer } from '../platform/worker/health-server';
import { installWorkerRuntime } from '../platform/worker/runtime';
import { startNotificationRelay } from '../modules/lead/activities/notification-relay';
import { ensureSchedules } from '../modules/maintenance/schedules';
import { createLeadWorker, createMaintenanceWorker, runWorkers } from './worker';

/**
 * Worker process: a worker of the case queue and one of the maintenance queue, until SIGINT/SIGTERM,
 * then both drain and it exits. Beside them: the SDK's metrics for Prometheus (WORKER_METRICS_ADDRESS)
 * and a health endpoint (WORKER_HEALTH_PORT).
 */
async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger('worker', cfg.LOG_LEVEL, cfg.LOG_PRETTY === '1');
  warnIfCalendarEnds(cfg, logger);
  const metricsAddress = installWorkerRuntime(cfg); // before any native connection or worker
  const workers: { name: string; worker: Worker }[] = [];
  const health = await startHealth(cfg, workers);
  const db = await openDatabase(cfg.DATABASE_URL, { poolMax: cfg.DATABASE_POOL_MAX });
  await createSchedulesAtStart(cfg, logger);

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
  workers.push({ name: 'lead', worker }, { name: 'maintenance', worker: maintenance });
  const stopRelay =
    cfg.NOTIFY_WEBHOOK_URL && cfg.NOTIFY_WEBHOOK_SECRET
      ? startNotificationRelay({ db, url: cfg.NOTIFY_WEBHOOK_URL, secret: cfg.NOTIFY_WEBHOOK_SECRET, logger })
      : async () => {};
  logger.info(
    {
      taskQueue: cfg.TEMPORAL_TASK_QUEUE,
      maintenanceTaskQueue: cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE,
      namespace: cfg.TEMPORAL_NAMESPACE,
      metrics: metricsAddress ?? 'off',
      healthPort: health?.port ?? 'off',
    },
    'worker started',
  );
  try {
    await runWorkers([worker, maintenance]); // returns after a shutdown signal once in-flight tasks finish
  } finally {
    await health?.close();
    await stopRelay();
    await connection.close();
    await db.destroy();
    logger.info('worker stopped');
  }
}

/**
 * GET /healthz on WORKER_HEALTH_PORT (0: none): 503 until both workers run, and again once they
 * drain. Loopback only in development and test, every interface otherwise (a probe reaches the pod's IP).
 */
async function startHealth(
  cfg: Config,
  workers: { name: string; worker: Worker }[],
): Promise<RunningHealthServer | undefined> {
  if (!cfg.WORKER_HEALTH_PORT) return undefined;
  return startHealthServer({
    port: cfg.WORKER_HEALTH_PORT,
    host: allowsLocalDefaults(cfg.NODE_ENV) ? '127.0.0.1' : '0.0.0.0',
    workers: () => workers.map(({ name, worker }) => ({ name, state: worker.getState() })),
  });
}

/**
 * With TEMPORAL_CREATE_SCHEDULES (the default in development and test only), the worker creates the
 * schedules or brings them back to their definitions as it starts. In production one job does it
 * (`node dist/cli/schedules.js`), so workers of two builds in a rollout never rewrite them in turn.
 */
async function createSchedulesAtStart(cfg: Config, logger: Logger): Promise<void> {
  if (!cfg.TEMPORAL_CREATE_SCHEDULES) {
    logger.info('schedules left to the schedules job (TEMPORAL_CREATE_SCHEDULES is false)');
    return;
  }
  const client = await connectClient(cfg);
  try {
    const { created, updated } = await ensureSchedules(client, cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE);
    if (created.length) logger.info({ schedules: created }, 'schedules created');
    if (updated.length)
      logger.info(
        { schedules: updated, taskQueue: cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE },
        'schedules updated to their definitions',
      );
  } finally {
    await client.connection.close();
  }
}

main().catch((err) => {
  process.stderr.write(`worker failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
