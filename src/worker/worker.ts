import type { Duration } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type NativeConnection,
  type WorkerOptions,
} from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from './activities';
import { stampActivityOutcomes } from '../platform/worker/activity-outcomes';
import { checkRunClaims } from '../platform/worker/run-claims';
import { workflowBundleOptions } from './workflow-code';
import { buildIdOf, deploymentOptions, makeBuildCurrent } from '../platform/worker/deployment';
import { auditKeyring } from '../platform/audit/keyring';
import type { Config } from '../platform/config';
import { workerDataConverterFor } from '../platform/temporal/connection';
import type { SweepOptions } from '../modules/maintenance/sweep-run';

export interface LeadWorkerOptions {
  cfg: Config;
  db: DataSource;
  connection: NativeConnection;
  /** A prebuilt bundle (`npm run build` writes one); without it the workflows are bundled at start. */
  workflowBundlePath?: string;
  /** A bundle made in this process (bundleWorkflowCode), shared by its workers. */
  workflowBundleCode?: string;
  taskQueue?: string;
  /** Cache and concurrency settings over the SDK's defaults (the bench states the ones it uses). */
  tuning?: Pick<
    WorkerOptions,
    'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions' | 'maxConcurrentActivityTaskExecutions'
  >;
}

const workflowCode = ({
  workflowBundlePath,
  workflowBundleCode,
}: {
  workflowBundlePath?: string;
  workflowBundleCode?: string;
}) =>
  workflowBundleCode !== undefined
    ? { workflowBundle: { code: workflowBundleCode } }
    : { workflowBundle: { codePath: workflowBundlePath! } };

/** The options with a workflow bundle: a worker given none bundles the workflows here, so its build ID can be the bundle's hash. */
async function withBundle<O extends { workflowBundlePath?: string; workflowBundleCode?: string }>(opts: O): Promise<O> {
  if (opts.workflowBundleCode !== undefined || opts.workflowBundlePath) return opts;
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions, logger: new DefaultLogger('WARN') });
  return { ...opts, workflowBundleCode: code };
}

/** The activity interceptors: the outcome stamp outermost, so a refused run claim reaches the workflow stamped as the worker's. */
const interceptorsFor = (opts: Pick<LeadWorkerOptions, 'db'>) => ({
  activity: [stampActivityOutcomes, checkRunClaims(opts.db)],
});

/**
 * The worker's deployment version (./deployment.ts), made current first when the config says so:
 * until a version is current, versioned workers get no tasks.
 */
async function versioned(
  opts: Pick<LeadWorkerOptions, 'cfg' | 'connection' | 'workflowBundlePath' | 'workflowBundleCode'>,
) {
  const buildId = buildIdOf(opts.cfg, opts);
  if (opts.cfg.TEMPORAL_MAKE_BUILD_CURRENT) await startMakingCurrent(opts.connection, opts.cfg, buildId);
  return deploymentOptions(opts.cfg, buildId);
}

/**
 * Returns once the build is current, or once the server waits for this build to poll the task
 * queues of the build it replaces: the worker is created and polls meanwhile, and the build
 * becomes current in the background (an error in the worker's log if it never does).
 */
async function startMakingCurrent(connection: NativeConnection, cfg: Config, buildId: string): Promise<void> {
  let signalWaiting = () => {};
  const waiting = new Promise<void>((resolve) => (signalWaiting = resolve));
  const made = makeBuildCurrent(connection, cfg, buildId, { onWaiting: signalWaiting });
  await Promise.race([made, waiting]);
  made.catch((err: unknown) =>
    Runtime.instance().logger.error('the worker build could not be made current: it gets no new work', {
      buildId,
      error: String(err),
    }),
  );
}

/** The worker of the `lead-cases` task queue: every workflow type and every activity. */
export async function createLeadWorker(given: LeadWorkerOptions): Promise<Worker> {
  const opts = await withBundle(given);
  const { cfg } = opts;
  const taskQueue = opts.taskQueue ?? cfg.TEMPORAL_TASK_QUEUE;
  return Worker.create({
    connection: opts.connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue,
    ...workflowCode(opts),
    activities: createActivities({
      db: opts.db,
      policy: cfg.policy,
      leadTaskQueue: taskQueue,
      auditKeyring: auditKeyring(cfg),
    }),
    dataConverter: workerDataConverterFor(cfg),
    interceptors: interceptorsFor(opts),
    ...(await versioned(opts)),
    shutdownGraceTime: '10 seconds',
    ...opts.tuning,
  });
}

export interface MaintenanceWorkerOptions extends Pick<
  LeadWorkerOptions,
  'cfg' | 'db' | 'connection' | 'workflowBundlePath' | 'workflowBundleCode'
> {
  /** Default TEMPORAL_MAINTENANCE_TASK_QUEUE. */
  taskQueue?: string;
  /** The queue of the `leadCase` workflows the sweeps look at; default TEMPORAL_TASK_QUEUE. */
  leadTaskQueue?: string;
  sweep?: SweepOptions;
  /** How long a shutdown lets running activities finish before cancelling them (the sweep stops between chunks). */
  shutdownGraceTime?: Duration;
}

/**
 * The worker of the maintenance task queue (`lead-maintenance`), where the schedules start their
 * workflows: sweeps, digests, reviews, planning. A queue of its own, so a long sweep never holds
 * the slots case work needs, and a burst of case work never starves the sweep; few slots, so
 * maintenance leaves the database to case work. Same workflow code and activities as the lead worker.
 */
export async function createMaintenanceWorker(given: MaintenanceWorkerOptions): Promise<Worker> {
  const opts = await withBundle(given);
  const { cfg } = opts;
  return Worker.create({
    connection: opts.connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: opts.taskQueue ?? cfg.TEMPORAL_MAINTENANCE_TASK_QUEUE,
    ...workflowCode(opts),
    activities: createActivities({
      db: opts.db,
      policy: cfg.policy,
      leadTaskQueue: opts.leadTaskQueue ?? cfg.TEMPORAL_TASK_QUEUE,
      sweep: opts.sweep,
      auditKeyring: auditKeyring(cfg),
    }),
    dataConverter: workerDataConverterFor(cfg),
    interceptors: interceptorsFor(opts),
    ...(await versioned(opts)),
    maxConcurrentActivityTaskExecutions: 4,
    maxConcurrentWorkflowTaskExecutions: 4,
    maxCachedWorkflows: 100,
    shutdownGraceTime: opts.shutdownGraceTime ?? '5 seconds',
  });
}

/**
 * Runs the workers until they stop (a shutdown signal stops them all); when one fails, the others
 * are shut down too, and the first failure is thrown once all have stopped.
 */
export async function runWorkers(workers: Worker[]): Promise<void> {
  const results = await Promise.allSettled(
    workers.map((w) =>
      w.run().catch((err: unknown) => {
        for (const other of workers) if (other !== w && other.getState() === 'RUNNING') other.shutdown();
        throw err;
      }),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
