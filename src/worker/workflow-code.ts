/**
 * What goes into the workflow bundle: every workflow type (src/worker/workflows.ts) and the
 * workflow interceptors (src/platform/workflow/interceptors.ts). Every bundle of the service's workflows,
 * in the worker, the build, the tests and the bench, is made from these.
 */
export const WORKFLOWS_PATH = require.resolve('./workflows');
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../platform/workflow/interceptors')];
export const workflowBundleOptions = {
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES,
};
