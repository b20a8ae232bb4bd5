/**
 * A worker of the bench as its own process, so its memory can be read alone: either the service's
 * lead worker (src/worker/worker.ts, real activities) or the bare worker of bench/workflows.ts.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../src/platform/config';
import { openDatabase } from '../src/platform/db/data-source';
import { createLeadWorker } from '../src/worker/worker';
import { childConfig, reportFailure, serveParent, type ChildMessage } from './child-protocol';
import type { BenchActivities } from './workflows';

export interface WorkerChildConfig {
  kind: 'lead' | 'bare';
  taskQueue: string;
  bundlePath: string;
  /** Unset: the SDK's default cache size. */
  maxCachedWorkflows?: number;
}

async function main(): Promise<void> {
  const opts = childConfig<WorkerChildConfig>();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const cfg = loadConfig();
  const connection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const tuning = opts.maxCachedWorkflows === undefined ? undefined : { maxCachedWorkflows: opts.maxCachedWorkflows };
  const db = opts.kind === 'lead' ? await openDatabase(cfg.DATABASE_URL, { poolMax: cfg.DATABASE_POOL_MAX }) : null;
  const worker = db
    ? await createLeadWorker({
        cfg,
        db,
        connection,
        workflowBundlePath: opts.bundlePath,
        taskQueue: opts.taskQueue,
        tuning,
      })
    : await Worker.create({
        connection,
        namespace: cfg.TEMPORAL_NAMESPACE,
        taskQueue: opts.taskQueue,
        workflowBundle: { codePath: opts.bundlePath },
        activities: { async benchWrite() {} } satisfies BenchActivities,
        shutdownGraceTime: '10 seconds',
        ...tuning,
      });

  serveParent(
    () => {
      const s = worker.getStatus();
      return {
        cachedWorkflows: s.numCachedWorkflows,
        inFlightActivations: s.numInFlightWorkflowActivations,
        inFlightActivities: s.numInFlightActivities,
      };
    },
    () => worker.shutdown(),
  );
  process.once('SIGTERM', () => worker.shutdown());
  process.once('SIGINT', () => worker.shutdown());

  const running = worker.run();
  process.send?.({ type: 'ready' } satisfies ChildMessage);
  await running;
  await connection.close();
  await db?.destroy();
  process.exit(0);
}

main().catch(reportFailure);
