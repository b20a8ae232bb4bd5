import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../../src/worker/workflow-code';

/**
 * Bundles the workflows once per test run (webpack takes seconds; every test file reuses the file).
 * The bundle is the same code the worker runs, so tests exercise real workflow code.
 */
export async function ensureWorkflowBundle(): Promise<string> {
  if (process.env.WORKFLOW_BUNDLE_PATH && existsSync(process.env.WORKFLOW_BUNDLE_PATH))
    return process.env.WORKFLOW_BUNDLE_PATH;
  const dir = join(tmpdir(), `lead-engine-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'workflow-bundle.js');
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions, logger: quietLogger });
  writeFileSync(path, code);
  process.env.WORKFLOW_BUNDLE_PATH = path;
  return path;
}

const noop = () => undefined;
const quietLogger = {
  log: noop,
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: (m: string) => console.error(m),
};
