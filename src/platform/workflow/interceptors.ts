import { defaultPayloadConverter, workflowInfo, type WorkflowInterceptorsFactory } from '@temporalio/workflow';
import { RUN_CHAIN_HEADER } from './run-chain';

/**
 * Every activity a workflow schedules names the run chain it comes from (the first run's ID), so
 * the worker can refuse the writes of a run that does not own its workflow ID (./run-chain.ts).
 * Loaded into the workflow bundle by WORKFLOW_INTERCEPTOR_MODULES (src/worker/workflow-code.ts).
 */
export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity: (input, next) => next({ ...input, headers: withRunChain(input.headers) }),
      scheduleLocalActivity: (input, next) => next({ ...input, headers: withRunChain(input.headers) }),
    },
  ],
});

const withRunChain = <H extends object>(headers: H): H => ({
  ...headers,
  [RUN_CHAIN_HEADER]: defaultPayloadConverter.toPayload(workflowInfo().firstExecutionRunId),
});
