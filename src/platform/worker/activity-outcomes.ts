import { ApplicationFailure, CancelledFailure, ensureApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { stampDetail, stampResult, type OutcomeStamp } from '../workflow/activity-outcome';

/**
 * Stamps every outcome of an ordinary activity (its result, or its failure's first detail) with the
 * workflow, run and activity it belongs to, inside the sealed payload, so that the workflow can tell
 * it from one completed or failed from outside the service (src/platform/workflow/activity-outcome.ts).
 * A cancellation goes as it is: the workflow takes one only when it asked for it.
 */
export const stampActivityOutcomes: ActivityInterceptorsFactory = (ctx) => {
  const { info } = ctx;
  if (info.isLocal || !info.workflowExecution) return {};
  const stamp: OutcomeStamp = {
    workflowId: info.workflowExecution.workflowId,
    runId: info.workflowExecution.runId,
    activityId: info.activityId,
    activityType: info.activityType,
  };
  return {
    inbound: {
      async execute(input, next) {
        try {
          return stampResult(await next(input), stamp);
        } catch (err) {
          throw stampedFailure(err, stamp);
        }
      },
    },
  };
};

function stampedFailure(err: unknown, stamp: OutcomeStamp): unknown {
  if (err instanceof CancelledFailure) return err;
  const failure = ensureApplicationFailure(err);
  const stamped = ApplicationFailure.create({
    message: failure.message,
    type: failure.type ?? undefined,
    nonRetryable: failure.nonRetryable ?? false,
    details: [stampDetail(stamp), ...(failure.details ?? [])],
    nextRetryDelay: failure.nextRetryDelay ?? undefined,
    cause: failure.cause,
  });
  stamped.stack = failure.stack;
  return stamped;
}
