import { allHandlersFinished, condition, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { complaintWorkflowId } from '../names';
import {
  closeComplaintUpdate,
  complaintLegalHoldUpdate,
  complaintOpenedUpdate,
  complaintStateQuery,
  escalateToGroupUpdate,
  firstResponseUpdate,
  type ComplaintCaseInput,
  type ComplaintCaseResult,
} from '../messages';
import { isRefusedPayload } from '../../../platform/workflow/verified';
import { useSummaryLocale } from './activity-calls';
import { oneAtATime } from './checks';
import { checkClose, closeOrReopen } from './close';
import { checkEscalation, escalateToGroup } from './escalation';
import { checkFirstResponse, recordFirstResponse } from './first-response';
import { checkLegalHold, placeOrReleaseHold } from './legal-hold';
import { watchDeadlines } from './marks';
import { answerWhenOpened, openComplaint } from './opening';
import { eraseAfterRetention } from './retention';
import { startRun, type ComplaintRun } from './state';

export type { ComplaintCaseResult } from '../messages';

/**
 * One complaint, from filing to close (and, for a complaint with its own key, to the erasure of
 * its description). Two clocks run from filing: the first response (2 h / 24 h / 72 h by priority)
 * and the resolution (15 days). At the policy's reminder fraction the handler is reminded; when a
 * clock runs out compliance is told. People act through Updates; the timers never stop waiting.
 */
export async function complaintCase(input: ComplaintCaseInput): Promise<ComplaintCaseResult> {
  if (!startedByTheService(input)) {
    // Nothing is written or published.
    log.warn('a start of complaintCase was refused: its input was not sealed by the service for this workflow');
    return { complaintId: '', state: 'awaiting_response', closedAt: null, erasedAt: null };
  }
  const run = startRun(input);
  useSummaryLocale(run.policy.display.locale);
  registerHandlers(run);
  await openComplaint(run);
  await watchDeadlines(run);
  await eraseAfterRetention(run);
  await condition(allHandlersFinished);
  const { complaintId, state, closedAt, erasedAt } = run.complaint;
  return { complaintId, state, closedAt, erasedAt };
}

function startedByTheService(input: ComplaintCaseInput): boolean {
  const info = workflowInfo();
  if (isRefusedPayload(input) || typeof input?.facts?.complaintId !== 'string') return false;
  // A replay (of a saved history, or after a cache eviction) runs under another ID: what was decided live stands.
  return info.unsafe.isReplaying || info.workflowId === complaintWorkflowId(input.facts.complaintId);
}

/** Each handler beside its validator; the first response, escalation and close are recorded one at a time. */
function registerHandlers(run: ComplaintRun): void {
  setHandler(complaintOpenedUpdate, () => answerWhenOpened(run));
  setHandler(firstResponseUpdate, (arg) => oneAtATime(run, () => recordFirstResponse(run, arg)), {
    validator: (arg) => checkFirstResponse(run, arg),
  });
  setHandler(escalateToGroupUpdate, (arg) => oneAtATime(run, () => escalateToGroup(run, arg)), {
    validator: (arg) => checkEscalation(run, arg),
  });
  setHandler(closeComplaintUpdate, (arg) => oneAtATime(run, () => closeOrReopen(run, arg)), {
    validator: (arg) => checkClose(run, arg),
  });
  setHandler(complaintLegalHoldUpdate, (arg) => placeOrReleaseHold(run, arg), {
    validator: (arg) => checkLegalHold(run, arg),
  });
  setHandler(complaintStateQuery, () => run.complaint);
}
