import { escalateToGroupUpdate, type ComplaintUpdateResult, type EscalateToGroupUpdate } from '../messages';
import { refuse, refuseWhenClosed, refuseWhileActing, senderOf, verifiedActor } from './checks';
import { notify, recordEvent } from './activity-calls';
import { now, type ComplaintRun } from './state';
import { commit } from './visibility';

export function checkEscalation(run: ComplaintRun, arg: EscalateToGroupUpdate): void {
  verifiedActor(run, escalateToGroupUpdate, arg);
  const { escalatedTo, firstRespondedAt } = run.complaint;
  refuseWhenClosed(run);
  refuseWhileActing(run);
  if (!firstRespondedAt) {
    refuse('first_response_pending', 'answer the customer first; then bring in the cross-team group');
  }
  if (escalatedTo) refuse('already_escalated', `the complaint is already with ${escalatedTo.teams.join(', ')}`);
  if (new Set(arg.teams).size < 2) refuse('group_too_small', 'a cross-team group needs at least two different teams');
}

/** A complex complaint goes to a group of teams, each told; the resolution clock runs on. */
export async function escalateToGroup(run: ComplaintRun, arg: EscalateToGroupUpdate): Promise<ComplaintUpdateResult> {
  const { teams } = arg;
  const eventId = await recordEvent(run, 'escalated_to_group', senderOf(arg), { teams });
  run.complaint.escalatedTo = { teams, at: now().toISOString() };
  run.complaint.state = 'escalated';
  run.version++;
  await commit(run);
  for (const team of teams) {
    await notify(run, 'complaint_escalated_to_group', { recipientRole: 'team', recipientId: team }, { teams });
  }
  return { eventId, state: run.complaint };
}
