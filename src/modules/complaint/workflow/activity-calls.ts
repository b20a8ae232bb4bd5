import type { ComplaintActivities, ComplaintEventInput, ComplaintNotificationInput } from '../contract';
import { verifiedActivities } from '../../../platform/workflow/verified-activities';
import type { Locale } from '../../../platform/domain/text';
import { complaintActivitySummary } from './text';
import { now, nextEventId, type ComplaintRun } from './state';
import { notificationPayload } from './view';

// Each activity is one or two queries: a short timeout lets a crashed worker's task move on quickly.
export const activities = verifiedActivities<ComplaintActivities>(
  {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  },
  (type) => complaintActivitySummary(type, summaryLocale),
);

/** The language of the history's activity summaries: the complaint's (set once as its run starts). */
let summaryLocale: Locale = 'zh-CN';
export function useSummaryLocale(locale: Locale): void {
  summaryLocale = locale;
}

export type Recipient = Pick<ComplaintNotificationInput, 'recipientRole' | 'recipientId'>;
export const COMPLIANCE: Recipient = { recipientRole: 'compliance', recipientId: null };

/** Writes an event to the complaint's history in Postgres; its ID is what a sealed note attaches to. */
export async function recordEvent(
  run: ComplaintRun,
  kind: ComplaintEventInput['kind'],
  actor: string,
  details: Record<string, unknown> = {},
): Promise<string> {
  const eventId = nextEventId(run, kind);
  await activities.recordComplaintEvent({
    complaintId: run.id,
    eventId,
    kind,
    actor,
    at: now().toISOString(),
    details,
  });
  return eventId;
}

export async function notify(
  run: ComplaintRun,
  kind: ComplaintNotificationInput['kind'],
  to: Recipient,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await activities.notifyAboutComplaint({
    eventId: nextEventId(run, `notify_${kind}`),
    kind,
    complaintId: run.id,
    caseId: run.facts.caseId,
    ...to,
    payload: notificationPayload(run.complaint, extra),
  });
}
