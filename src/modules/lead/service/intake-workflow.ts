import { caseStaticDetails, caseSummary } from '../rules/case-text';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { leadWorkflowId } from '../../../platform/temporal/names';
import {
  AmountCnyKey,
  ChannelIdKey,
  ConsentStateKey,
  LeadStageKey,
  SlaDueAtKey,
  SlaStateKey,
  VulnerableKey,
} from '../../../platform/temporal/search-attributes';
import { intakeUnconfirmedSignal, type LeadCaseInput } from '../messages';
import type { CommitOutcome } from './commit-outcome';
import type { IntakeDeps } from './intake-checks';
import { TEMPORAL_CALL_MS, verifiedSignalArg, withDeadline } from '../../../platform/temporal/calls';

/** What lead intake asks of Temporal: start a case's workflow, and settle it when the intake fails. */

/** Every call intake makes to Temporal has a deadline: the caller is waiting. */
export const temporalCall = <T>(deps: IntakeDeps, call: () => Promise<T>): Promise<T> =>
  withDeadline(deps.temporal, TEMPORAL_CALL_MS, call);

export async function startCaseWorkflow(deps: IntakeDeps, input: LeadCaseInput): Promise<void> {
  const f = input.facts;
  try {
    // Bounded: the caller is waiting, and the open transaction holds its rows' locks.
    await temporalCall(deps, () =>
      deps.temporal.workflow.start('leadCase', {
        workflowId: leadWorkflowId(input.caseId),
        taskQueue: deps.cfg.TEMPORAL_TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: LeadStageKey, value: 'awaiting_consent' },
          { key: ChannelIdKey, value: f.channelId },
          { key: ConsentStateKey, value: 'none' },
          { key: VulnerableKey, value: f.vulnerable },
          { key: AmountCnyKey, value: f.amountCny },
          ...(input.projectedAtIntake
            ? [
                { key: SlaDueAtKey, value: new Date(input.projectedAtIntake.consentDeadline.dueAt) },
                { key: SlaStateKey, value: 'on_time' },
              ]
            : []),
        ],
        staticSummary: caseSummary(f, deps.cfg.policy.display),
        staticDetails: caseStaticDetails(f, deps.cfg.policy.display),
      }),
    );
  } catch {
    throw new DomainError(
      'temporal_unavailable',
      'the workflow engine is unreachable; nothing was stored, retry later',
      { retryable: true },
    );
  }
}

/**
 * The rows rolled back: a workflow this intake started must not outlive them. When the database
 * cannot say, the workflow stays: losing a committed case is worse than a workflow that waits
 * (its next write retries until the row is there, and ends it with case_never_committed if the
 * row never comes). Bounded like the start: a Temporal that does not answer must not keep the
 * caller waiting.
 */
export async function settleWorkflowOfFailedIntake(
  deps: IntakeDeps,
  actor: Actor,
  lead: { workflowId: string; projectedAtIntake: LeadCaseInput['projectedAtIntake'] },
  outcome: CommitOutcome,
): Promise<void> {
  const { workflowId } = lead;
  if (outcome === 'rolled_back') {
    await temporalCall(deps, () =>
      deps.temporal.workflow.getHandle(workflowId).terminate('intake transaction rolled back'),
    ).catch(() => undefined);
  }
  // A case projected here writes nothing of its own until consent comes: have it write now.
  if (outcome === 'unknown' && lead.projectedAtIntake) {
    await temporalCall(deps, () =>
      deps.temporal.workflow
        .getHandle(workflowId)
        .signal(intakeUnconfirmedSignal, verifiedSignalArg(workflowId, intakeUnconfirmedSignal.name, actor, {})),
    ).catch(() => undefined);
  }
}
