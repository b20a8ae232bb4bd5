import { Runtime } from '@temporalio/worker';
import type { Config } from '../config';

/**
 * Installs the Temporal SDK runtime of a worker process with its metrics exported for Prometheus
 * at WORKER_METRICS_ADDRESS (`GET /metrics`; empty: not exported). Must run before the process
 * opens any native connection or creates a worker. The SDK's defaults hold: names prefixed
 * `temporal_`, durations in milliseconds, counters without a `_total` suffix, labels such as
 * `namespace`, `task_queue`, `workflow_type` and `activity_type`, never a payload.
 * Returns the address it exports on, if any.
 */
export function installWorkerRuntime(cfg: Pick<Config, 'WORKER_METRICS_ADDRESS'>): string | undefined {
  if (!cfg.WORKER_METRICS_ADDRESS) return undefined;
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: cfg.WORKER_METRICS_ADDRESS } } } });
  return cfg.WORKER_METRICS_ADDRESS;
}
