import { ensureWorkflowBundle } from './workflow-bundle';

export default async function bundleSetup(): Promise<void> {
  await ensureWorkflowBundle();
}
