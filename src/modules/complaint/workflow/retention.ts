import { condition } from '@temporalio/workflow';
import { activities } from './activity-calls';
import { msUntil } from './deadlines';
import { complaintTimerSummary } from './text';
import { nextEventId, now, type ComplaintRun } from './state';
import { commit } from './visibility';

/**
 * No case key covers a closed complaint's own description: it keeps it for the retention period, whose
 * clock stops while a legal hold lasts, then erases it. A complaint sealed with its case's key returns at
 * once: its description goes with the case.
 */
export async function eraseAfterRetention(run: ComplaintRun): Promise<void> {
  if (!run.complaint.retentionDueAt) return;
  await untilRetentionEnds(run);
  run.erasing = true;
  const at = now().toISOString();
  await activities.eraseComplaintData({ complaintId: run.id, eventId: nextEventId(run, 'erase'), at });
  run.complaint.state = 'erased';
  run.complaint.erasedAt = at;
  await commit(run);
}

/** One timer to the due time; a hold cancels it, and its release sets a new due time (./legal-hold). */
async function untilRetentionEnds(run: ComplaintRun): Promise<void> {
  const complaint = run.complaint;
  while (true) {
    if (complaint.legalHold) {
      await condition(() => complaint.legalHold === null);
      continue;
    }
    const dueAt = Date.parse(complaint.retentionDueAt!);
    const held = await condition(() => complaint.legalHold !== null, msUntil(dueAt, Date.now()), {
      summary: complaintTimerSummary('retention', run.policy.display.locale),
    });
    if (!held) return;
  }
}
