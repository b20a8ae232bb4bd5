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
 * on it. Until a version is current, versioned workers get no tasks at all. Allowed before the
 * build's workers poll, so a worker can do it as it starts.
 */
export async function makeBuildCurrent(connection: NativeConnection, cfg: Config, buildId: string): Promise<void> {
  await connection.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: cfg.TEMPORAL_NAMESPACE,
    deploymentName: cfg.TEMPORAL_DEPLOYMENT_NAME,
    buildId,
    allowNoPollers: true,
    identity: `lead-worker@${buildId}`,
  });
}
