import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createActivities } from '../activities';
import type { Config } from '../config';
import { dataConverterFor } from '../infra/temporal-connection';

export interface LeadWorkerOptions {
  cfg: Config;
  db: DataSource;
  connection: NativeConnection;
  /** A prebuilt bundle (`npm run build` writes one); without it the workflows are bundled at start. */
  workflowBundlePath?: string;
  taskQueue?: string;
  /** Cache and concurrency settings over the SDK's defaults (the bench states the ones it uses). */
  tuning?: Pick<WorkerOptions, 'maxCachedWorkflows' | 'maxConcurrentWorkflowTaskExecutions' | 'maxConcurrentActivityTaskExecutions'>;
}

/** The worker of the `lead-cases` task queue: every workflow type and every activity. */
export async function createLeadWorker(opts: LeadWorkerOptions): Promise<Worker> {
  const { cfg } = opts;
  return Worker.create({
    connection: opts.connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    taskQueue: opts.taskQueue ?? cfg.TEMPORAL_TASK_QUEUE,
    ...(opts.workflowBundlePath
      ? { workflowBundle: { codePath: opts.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    activities: createActivities({ db: opts.db, policy: cfg.policy }),
    dataConverter: dataConverterFor(cfg),
    shutdownGraceTime: '10 seconds',
    ...opts.tuning,
  });
}
