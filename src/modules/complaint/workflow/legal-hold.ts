import { complaintLegalHoldUpdate, type ComplaintLegalHoldUpdate, type ComplaintUpdateResult } from '../messages';
import { refuse, senderOf, verifiedActor } from './checks';
import { recordEvent } from './activity-calls';
import { retentionDueAfterRelease, retentionLeftAtHold } from './deadlines';
import { now, type ComplaintRun } from './state';
import { commit } from './visibility';

/** Only a complaint with its own key can be held: one sealed with its case's key is erased with the case. */
export function checkLegalHold(run: ComplaintRun, arg: ComplaintLegalHoldUpdate): void {
  const actor = verifiedActor(run, complaintLegalHoldUpdate, arg);
  const { hold } = arg;
  const { legalHold, state } = run.complaint;
  if (actor.role !== 'compliance') {
    refuse('not_compliance', 'only a compliance officer places or releases a legal hold');
  }
  if (state === 'erased' || run.erasing) {
    refuse('complaint_text_erased', 'the complaint’s description is erased; there is nothing left to hold');
  }
  if (run.facts.keyScope === 'case') {
    refuse(
      'hold_the_case',
      'this complaint’s description is sealed with its case’s data key and erased with the case: put the case on legal hold',
    );
  }
  if (hold && legalHold) refuse('already_on_hold', 'the complaint is already under legal hold');
  if (!hold && !legalHold) refuse('not_on_hold', 'the complaint is not under legal hold');
}

/** A hold stops the retention clock, keeping what was left of it; the release lets that run from then. */
export async function placeOrReleaseHold(
  run: ComplaintRun,
  arg: ComplaintLegalHoldUpdate,
): Promise<ComplaintUpdateResult> {
  const { hold } = arg;
  const by = senderOf(arg);
  const complaint = run.complaint;
  // The state changes before anything is awaited, so the retention timer cannot slip past a hold.
  const at = now();
  if (hold) {
    complaint.legalHold = { placedAt: at.toISOString(), by, remainingMs: retentionLeftAtHold(complaint, at) };
  } else {
    complaint.retentionDueAt = retentionDueAfterRelease(complaint, at);
    complaint.legalHold = null;
  }
  run.version++;
  const details = hold ? {} : { retentionDueAt: complaint.retentionDueAt };
  const eventId = await recordEvent(run, hold ? 'legal_hold_placed' : 'legal_hold_released', by, details);
  await commit(run);
  return { eventId, state: complaint };
}
