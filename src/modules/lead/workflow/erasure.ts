import { ApplicationFailure, condition } from '@temporalio/workflow';
import { commit, commitUnlessGone, publishDetails, setDeadline } from './changes';
import type { CaseRun } from './state';
import { activities } from './writes';

export type ErasureReason = 'consent_timeout' | 'consent_withdrawn' | 'retention_expired';

/** Erases the case's personal data and ends the case; a legal hold outranks every erasure clock. */
export async function erase(run: CaseRun, reason: ErasureReason): Promise<void> {
  const { state } = run;
  await condition(() => state.legalHold === null);
  run.erasing = true;
  await activities.eraseLeadData({
    caseId: state.caseId,
    eventId: run.nextEventId('erase'),
    reason,
    at: run.now().toISOString(),
  });
  state.stage = 'erased';
  state.closeReason = state.closeReason ?? reason;
  state.erasedAt = run.now().toISOString();
  setDeadline(run, null);
  await commit(run);
}

/** credit_assessment consent was withdrawn: whatever the stage, the case closes and its data goes now. */
export async function eraseWithdrawnCase(run: CaseRun): Promise<void> {
  const { state } = run;
  state.stage = 'withdrawn';
  state.closeReason = 'consent_withdrawn';
  state.closedAt = run.now().toISOString();
  setDeadline(run, null);
  await commitUnlessGone(run);
  await erase(run, 'consent_withdrawn');
}

/**
 * An erasure failed for good with `type`. When it found no case there is no personal data left, so
 * the case ends as erased; any other failure fails the workflow, for an operator to see.
 */
export function endFailedErasure(run: CaseRun, type: string): void {
  const { state } = run;
  if (type !== 'case_not_found')
    throw ApplicationFailure.create({ type, message: `the erasure failed for good: ${type}`, nonRetryable: true });
  state.stage = 'erased';
  state.closeReason = state.closeReason ?? `system_error:${type}`;
  state.erasedAt = run.now().toISOString();
  setDeadline(run, null);
  publishDetails(run);
}
