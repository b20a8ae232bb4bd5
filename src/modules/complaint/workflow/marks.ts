import { condition } from '@temporalio/workflow';
import type { ComplaintMarkKind } from '../rules';
import { COMPLIANCE, notify, recordEvent, type Recipient } from './activity-calls';
import { leftToAction, msUntil, nextMark } from './deadlines';
import { isClosed, type ComplaintRun } from './state';
import { complaintTimerSummary } from './text';
import { commit } from './visibility';

/**
 * Until the complaint closes, waits for the next mark of its clocks and acts on it; every action
 * (run.version) plans the wait again. People act through Updates meanwhile: the timers never stop waiting.
 */
export async function watchDeadlines(run: ComplaintRun): Promise<void> {
  while (!isClosed(run.complaint)) {
    const mark = nextMark(run.complaint, run.policy);
    const seen = run.version;
    if (!mark) {
      await condition(() => run.version !== seen);
      continue;
    }
    const acted = await condition(() => run.version !== seen, msUntil(mark.at, Date.now()), {
      summary: complaintTimerSummary(mark.kind, run.policy.display.locale),
    });
    if (acted) continue;
    if (leftToAction(run, mark.at)) {
      await condition(() => !run.acting);
      continue;
    }
    await onMark(run, mark.kind);
  }
}

/** The handler is reminded at the policy's fraction of a clock; compliance is told when it runs out. */
async function onMark(run: ComplaintRun, kind: ComplaintMarkKind): Promise<void> {
  const complaint = run.complaint;
  const firstResponse = complaint.firstResponseClock;
  const resolution = complaint.resolutionClock;
  switch (kind) {
    case 'first_response_reminder':
      if (firstResponse) firstResponse.reminded = true;
      await notify(run, 'complaint_first_response_reminder', firstResponder(run));
      break;
    case 'first_response_late':
      if (firstResponse) firstResponse.escalated = true;
      complaint.lateFirstResponse = true;
      await recordEvent(run, 'first_response_late', 'workflow', { dueAt: complaint.firstResponseDueAt });
      await notify(run, 'complaint_first_response_late', COMPLIANCE);
      break;
    case 'resolution_reminder':
      if (resolution) resolution.reminded = true;
      await notify(run, 'complaint_resolution_reminder', COMPLIANCE);
      break;
    case 'resolution_late':
      if (resolution) resolution.escalated = true;
      complaint.lateResolution = true;
      await recordEvent(run, 'resolution_late', 'workflow', { dueAt: complaint.resolutionDueAt });
      await notify(run, 'complaint_resolution_late', COMPLIANCE);
      break;
  }
  await commit(run);
}

/** The first-response reminder goes to the case's broker, or to compliance when there is none. */
const firstResponder = (run: ComplaintRun): Recipient =>
  run.facts.brokerId ? { recipientRole: 'broker', recipientId: run.facts.brokerId } : COMPLIANCE;
