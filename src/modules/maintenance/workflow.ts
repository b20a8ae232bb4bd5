import { uuid4, setWorkflowOptions } from '@temporalio/workflow';
import type { MaintenanceActivities, RetentionSweepResult } from '../lead/activities/contract';
import { verifiedActivities } from '../../platform/workflow/verified-activities';

const acts = verifiedActivities<MaintenanceActivities>({
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * The retention sweep heartbeats after every chunk: a worker that dies mid-sweep is noticed within
 * the heartbeat timeout, and the next attempt resumes from the last chunk it reported. Its whole
 * run may take long (a backlog after an outage), each chunk may not.
 */
const sweepActs = verifiedActivities<MaintenanceActivities>({
  startToCloseTimeout: '4 hours',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 30 },
});

const nowIso = () => new Date(Date.now()).toISOString();

/** Hourly: one digest for managers of every open case past its deadline. */
export async function followUpDigest(): Promise<{ breached: number }> {
  return acts.followUpDigest({ at: nowIso(), eventId: `digest:${uuid4()}` });
}

/**
 * Daily: erase anything past its retention that somehow still holds personal data (each case's
 * own timer should have done it), and date and then erase the cases whose workflow ended without
 * erasing them; report how many. A non-zero count is worth a look.
 */
export async function retentionSweep(): Promise<RetentionSweepResult> {
  return sweepActs.retentionSweep({ at: nowIso() });
}

/** Daily: plan the post-loan check-ins that have fallen due, tell each broker theirs, cancel those nobody may call. */
export async function postLoanCheckIns(): Promise<{ planned: number; pooled: number; cancelled: number }> {
  return acts.planPostLoanCheckIns({ at: nowIso(), eventId: `post-loan:${uuid4()}` });
}

/** Daily: open cases waiting on nothing with a deadline (a stuck case is a compliance risk). */
export async function deadlineAudit(): Promise<{ count: number }> {
  return acts.casesWithoutDeadline({ at: nowIso(), eventId: `deadline-audit:${uuid4()}` });
}

/**
 * Hourly: a lead workflow whose intake rolled back, when the intake could not terminate it either
 * (Temporal was unreachable at that moment), has no case. Awaiting consent it writes nothing of its
 * own, so it would wait out its 72 h consent deadline. The sweep finds such workflows among those
 * started in the last `windowHours` (but at least `minAgeMinutes` ago, past any intake still
 * running) and signals each; it looks for its case row, finds none, and ends `case_never_committed`.
 */
export async function orphanedIntakeSweep(
  input: { minAgeMinutes?: number; windowHours?: number } = {},
): Promise<{ checked: number; caseIds: string[] }> {
  return acts.signalOrphanedIntakes({
    at: nowIso(),
    minAgeMinutes: input.minAgeMinutes ?? 10,
    windowHours: input.windowHours ?? 6,
  });
}

// Short or self-renewing runs: they move to the current build (docs/versioning.md).
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, followUpDigest);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, retentionSweep);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, postLoanCheckIns);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, deadlineAudit);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, orphanedIntakeSweep);
