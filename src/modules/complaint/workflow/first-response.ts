import { firstResponseUpdate, type ComplaintUpdateResult, type FirstResponseUpdate } from '../messages';
import { refuse, refuseWhenClosed, refuseWhileActing, senderOf, verifiedActor } from './checks';
import { recordEvent } from './activity-calls';
import { isPastDue } from './deadlines';
import { now, type ComplaintRun } from './state';
import { commit } from './visibility';

export function checkFirstResponse(run: ComplaintRun, arg: FirstResponseUpdate): void {
  verifiedActor(run, firstResponseUpdate, arg);
  refuseWhenClosed(run);
  refuseWhileActing(run);
  if (run.complaint.firstRespondedAt) refuse('already_responded', 'the complaint already has its first response');
}

/** The first response stops its clock; after its due time it counts as late, for reports. */
export async function recordFirstResponse(run: ComplaintRun, arg: FirstResponseUpdate): Promise<ComplaintUpdateResult> {
  const complaint = run.complaint;
  const at = now();
  const late = isPastDue(at, complaint.firstResponseDueAt);
  const eventId = await recordEvent(run, 'first_response', senderOf(arg), { via: arg.via, late });
  complaint.firstRespondedAt = at.toISOString();
  complaint.firstResponseClock = null;
  if (late) complaint.lateFirstResponse = true;
  complaint.state = 'in_progress';
  run.version++;
  await commit(run);
  return { eventId, state: complaint };
}
