import { afterSatisfaction } from '../rules';
import { closeComplaintUpdate, type CloseComplaintUpdate, type ComplaintUpdateResult } from '../messages';
import { refuse, refuseWhenClosed, refuseWhileActing, senderOf, verifiedActor } from './checks';
import { COMPLIANCE, notify, recordEvent } from './activity-calls';
import { isPastDue, reopenedResolution, retentionDueAfterClose, retentionSpanMs } from './deadlines';
import { now, type ComplaintRun } from './state';
import { commit } from './visibility';

export function checkClose(run: ComplaintRun, arg: CloseComplaintUpdate): void {
  verifiedActor(run, closeComplaintUpdate, arg);
  refuseWhenClosed(run);
  refuseWhileActing(run);
  if (!run.complaint.firstRespondedAt) {
    refuse('first_response_pending', 'a complaint is closed after its first response');
  }
}

/** The satisfaction result decides: a first dissatisfied customer reopens it, anything else closes it. */
export async function closeOrReopen(run: ComplaintRun, arg: CloseComplaintUpdate): Promise<ComplaintUpdateResult> {
  const by = senderOf(arg);
  const at = now();
  return afterSatisfaction(arg.satisfaction, run.complaint.timesReopened) === 'reopen'
    ? reopen(run, arg, by, at)
    : close(run, arg, by, at);
}

/** A fresh resolution clock from now, back with whoever had it; compliance is told. */
async function reopen(
  run: ComplaintRun,
  arg: CloseComplaintUpdate,
  by: string,
  at: Date,
): Promise<ComplaintUpdateResult> {
  const { resolution, satisfaction } = arg;
  const complaint = run.complaint;
  const eventId = await recordEvent(run, 'reopened', by, { resolution, satisfaction });
  complaint.timesReopened++;
  complaint.resolution = resolution;
  complaint.satisfaction = satisfaction;
  const fresh = reopenedResolution(at, run.policy);
  complaint.resolutionDueAt = fresh.resolutionDueAt;
  complaint.resolutionClock = fresh.resolutionClock;
  complaint.state = complaint.escalatedTo ? 'escalated' : 'in_progress';
  run.version++;
  await commit(run);
  await notify(run, 'complaint_reopened', COMPLIANCE, { satisfaction });
  return { eventId, state: complaint };
}

/** Closes it; a complaint with its own key starts its retention, after which its description is erased. */
async function close(
  run: ComplaintRun,
  arg: CloseComplaintUpdate,
  by: string,
  at: Date,
): Promise<ComplaintUpdateResult> {
  const { resolution, satisfaction } = arg;
  const complaint = run.complaint;
  const eventId = await recordEvent(run, 'closed', by, { resolution, satisfaction });
  if (isPastDue(at, complaint.resolutionDueAt)) complaint.lateResolution = true;
  complaint.resolution = resolution;
  complaint.satisfaction = satisfaction;
  complaint.closedAt = at.toISOString();
  complaint.resolutionClock = null;
  complaint.state = 'closed';
  if (run.facts.keyScope === 'complaint') {
    complaint.retentionDueAt = retentionDueAfterClose(at, run.policy);
    // Held before it closed: retention has not started, so all of it is left for after the release.
    if (complaint.legalHold) complaint.legalHold.remainingMs = retentionSpanMs(run.policy);
  }
  run.version++;
  await commit(run);
  if (satisfaction === 'dissatisfied') await notify(run, 'complaint_closed_dissatisfied', COMPLIANCE, { resolution });
  return { eventId, state: complaint };
}
