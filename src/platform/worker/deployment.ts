import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config';

/**
 * Worker Versioning (docs/versioning.md). Every worker belongs to the deployment
 * TEMPORAL_DEPLOYMENT_NAME under a build ID: TEMPORAL_BUILD_ID, or else a hash of the workflow
 * bundle, which changes exactly when workflow code does. Case workflows follow the worker's
 * default (TEMPORAL_CASE_VERSIONING: pinned in production); the maintenance workflows declare
 * auto-upgrade themselves.
 */
export function buildIdOf(cfg: Config, bundle: { workflowBundlePath?: string; workflowBundleCode?: string }): string {
  if (cfg.TEMPORAL_BUILD_ID) return cfg.TEMPORAL_BUILD_ID;
  const code =
    bundle.workflowBundleCode ??
    (bundle.workflowBundlePath ? readFileSync(bundle.workflowBundlePath, 'utf8') : undefined);
  if (code === undefined) throw new Error('TEMPORAL_BUILD_ID is required when the worker bundles its workflows itself');
  return `wf-${createHash('sha256').update(code).digest('hex').slice(0, 16)}`;
}

export const caseVersioning = (cfg: Config): 'PINNED' | 'AUTO_UPGRADE' =>
  cfg.TEMPORAL_CASE_VERSIONING ??
  (cfg.NODE_ENV === 'development' || cfg.NODE_ENV === 'test' ? 'AUTO_UPGRADE' : 'PINNED');

export function deploymentOptions(cfg: Config, buildId: string): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  return {
    workerDeploymentOptions: {
      version: { deploymentName: cfg.TEMPORAL_DEPLOYMENT_NAME, buildId },
      useWorkerVersioning: true,
      defaultVersioningBehavior: caseVersioning(cfg),
    },
  };
}

/**
 * Makes the build the deployment's current version, so new workflows (and auto-upgrading ones) run
 * on it. Until a version is current, versioned workers get no tasks at all. With no current
 * version yet, the server takes it before the build's workers poll. Once another build is current,
 * it waits until this build polls every task queue that one serves, so that none is left without
 * a current version; the worker polls as soon as it runs, so this is retried in the background
 * (`whenPolled`) for up to `waitMs`.
 */
export async function makeBuildCurrent(
  connection: NativeConnection,
  cfg: Config,
  buildId: string,
  opts: { waitMs?: number; onWaiting?: () => void } = {},
): Promise<void> {
  const until = Date.now() + (opts.waitMs ?? 5 * 60_000);
  for (let waiting = false; ; waiting = true) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: cfg.TEMPORAL_NAMESPACE,
        deploymentName: cfg.TEMPORAL_DEPLOYMENT_NAME,
        buildId,
        allowNoPollers: true,
        identity: `lead-worker@${buildId}`,
      });
      return;
    } catch (err) {
      if (!awaitsPollers(err) || Date.now() >= until) throw err;
      if (!waiting) opts.onWaiting?.();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** The server's refusal while the new build has not yet polled the task queues of the current one. */
export const awaitsPollers = (err: unknown): boolean =>
  (err as { code?: number })?.code === 9 && /missing active task queues/i.test(String((err as Error)?.message));
