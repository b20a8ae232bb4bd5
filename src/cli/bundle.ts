import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../worker/workflow-code';

/**
 * Part of `npm run build`: bundles the workflows once into dist/workflow-bundle.js, so a production
 * worker starts without webpack (set WORKFLOW_BUNDLE_PATH to this file).
 */
async function main() {
  const { code } = await bundleWorkflowCode(workflowBundleOptions);
  const out = join(__dirname, '..', '..', 'dist', 'workflow-bundle.js');
  writeFileSync(out, code);
  console.log(`wrote ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
