import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { claimWorkflowId } from '../db/run-claims';
import { CLAIMED_WORKFLOW_TYPES, NOT_THE_CASE_RUN, RUN_CHAIN_HEADER } from '../workflow/run-chain';

/** Claims this worker has seen confirmed, by workflow ID: a claim never changes hands. */
const CONFIRMED_CLAIMS_KEPT = 50_000;

/**
 * Runs an activity of a case's or a complaint's workflow only for the run chain that owns its
 * workflow ID (src/platform/workflow/run-chain.ts): the first chain to reach the database claims the ID, and
 * an activity of any other chain fails for good with `not_the_case_run`. A claim once confirmed is
 * remembered, so a case costs one query per worker process.
 */
export function checkRunClaims(db: DataSource): ActivityInterceptorsFactory {
  const confirmed = new Map<string, string>();
  const owns = async (workflowId: string, firstRunId: string): Promise<boolean> => {
    if (confirmed.get(workflowId) === firstRunId) return true;
    if (!(await claimWorkflowId(db, workflowId, firstRunId))) return false;
    if (confirmed.size >= CONFIRMED_CLAIMS_KEPT) confirmed.delete(confirmed.keys().next().value!);
    confirmed.set(workflowId, firstRunId);
    return true;
  };
  return (ctx) => {
    const { info } = ctx;
    if (!info.workflowExecution || !CLAIMED_WORKFLOW_TYPES.includes(info.workflowType ?? '')) return {};
    const { workflowId } = info.workflowExecution;
    return {
      inbound: {
        async execute(input, next) {
          const header = input.headers[RUN_CHAIN_HEADER];
          const firstRunId = header ? defaultPayloadConverter.fromPayload<unknown>(header) : undefined;
          if (typeof firstRunId !== 'string' || !(await owns(workflowId, firstRunId))) {
            throw ApplicationFailure.create({
              type: NOT_THE_CASE_RUN,
              message: 'this run does not own its workflow ID: it acts on nothing',
              nonRetryable: true,
            });
          }
          return next(input);
        },
      },
    };
  };
}
