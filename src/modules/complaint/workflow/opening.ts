import { condition, getExternalWorkflowHandle, log, uuid4 } from '@temporalio/workflow';
import { leadWorkflowId } from '../../../platform/temporal/names';
import type { ComplaintUpdateResult } from '../messages';
import { doNotContactSignal } from '../../lead/messages';
import { actorSeal } from '../../../platform/workflow/verified';
import { COMPLIANCE, notify, recordEvent } from './activity-calls';
import { now, type ComplaintRun } from './state';
import { commit, publishVisibility } from './visibility';

/** `awaitOpening`: answers once the steps that cannot wait are done. */
export async function answerWhenOpened(run: ComplaintRun): Promise<ComplaintUpdateResult> {
  await condition(() => run.opened);
  return { eventId: `${run.id}:opened`, state: run.complaint };
}

/** Shows the complaint, stops contact with the customer if it must, then records the filing and tells compliance. */
export async function openComplaint(run: ComplaintRun): Promise<void> {
  publishVisibility(run);
  // First of all, before anything that needs the database: the customer must not be called again.
  if (run.facts.doNotContact && run.facts.caseId) await stopContact(run, run.facts.caseId);
  run.opened = true;
  const { doNotContact } = run.complaint;
  if (doNotContact !== 'not_needed') {
    await recordEvent(run, 'do_not_contact', 'workflow', { caseId: run.facts.caseId, result: doNotContact });
  }
  await commit(run);
  await notify(run, 'complaint_filed', COMPLIANCE, { priorityRaisedBy: run.facts.priorityRaisedBy });
}

/** Puts the case on do-not-contact, signalling its workflow in the complaint's own name. */
async function stopContact(run: ComplaintRun, caseId: string): Promise<void> {
  try {
    const target = leadWorkflowId(caseId);
    const auth = actorSeal(
      target,
      doNotContactSignal.name,
      uuid4(),
      { sub: `complaint:${run.id}`, role: 'system' },
      now(),
    );
    await getExternalWorkflowHandle(target).signal(doNotContactSignal, { auth });
    run.complaint.doNotContact = 'applied';
  } catch (err) {
    // The case's workflow has ended (its data erased): there is nobody left to contact.
    const error = (err as Error).message;
    log.warn('the case of a harassment complaint has no running workflow', { complaintId: run.id, caseId, error });
    run.complaint.doNotContact = 'case_finished';
  }
}
