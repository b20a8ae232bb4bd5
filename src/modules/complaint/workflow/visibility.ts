import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { activities } from './activity-calls';
import type { ComplaintRun } from './state';
import { currentDetails, projection, searchAttributes } from './view';

/** Shows the state in the Web UI: search attributes and current details. */
export function publishVisibility(run: ComplaintRun): void {
  upsertSearchAttributes(searchAttributes(run.complaint));
  setCurrentDetails(currentDetails(run.complaint, run.policy.display));
}

/** Publishes a state change: search attributes, details, and the Postgres projection (ordered by `seq`). */
export async function commit(run: ComplaintRun): Promise<void> {
  run.complaint.seq++;
  publishVisibility(run);
  await activities.projectComplaint({
    complaintId: run.id,
    seq: run.complaint.seq,
    projection: projection(run.complaint),
  });
}
