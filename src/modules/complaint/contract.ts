import type { ComplaintResolution, ComplaintState, ComplaintTeam, Satisfaction } from './rules';

/**
 * What the complaintCase workflow asks of the outside world. Workflows import this with
 * `import type` only. Every write is keyed (by `eventId`, or by `seq` for the projection) so a
 * retried activity changes nothing.
 */

/** The complaint's state as lists and reports read it from Postgres. */
export interface ComplaintProjection {
  state: ComplaintState;
  firstResponseDueAt: string;
  firstRespondedAt: string | null;
  lateFirstResponse: boolean;
  resolutionDueAt: string;
  lateResolution: boolean;
  /** The next due time while open (first response, else resolution); the `SlaDueAt` search attribute. */
  nextDueAt: string | null;
  escalatedTeams: ComplaintTeam[] | null;
  escalatedAt: string | null;
  timesReopened: number;
  doNotContact: string;
  resolution: ComplaintResolution | null;
  satisfaction: Satisfaction | null;
  closedAt: string | null;
  retentionDueAt: string | null;
  /** Absent from the projections of workflows that began before complaints could be held: false. */
  legalHold?: boolean;
}

export type ComplaintEventKind =
  | 'do_not_contact'
  | 'first_response'
  | 'first_response_late'
  | 'escalated_to_group'
  | 'resolution_late'
  | 'reopened'
  | 'closed'
  | 'legal_hold_placed'
  | 'legal_hold_released';

export interface ComplaintEventInput {
  complaintId: string;
  eventId: string;
  kind: ComplaintEventKind;
  /** `role:sub` of a person, or `workflow` for what the timers did. */
  actor: string;
  at: string;
  /** Codes and IDs only; a note a person typed is sealed and attached by the API. */
  details: Record<string, unknown>;
}

export type ComplaintNotificationKind =
  | 'complaint_filed'
  | 'complaint_first_response_reminder'
  | 'complaint_first_response_late'
  | 'complaint_resolution_reminder'
  | 'complaint_resolution_late'
  | 'complaint_escalated_to_group'
  | 'complaint_reopened'
  | 'complaint_closed_dissatisfied';

export interface ComplaintNotificationInput {
  eventId: string;
  kind: ComplaintNotificationKind;
  complaintId: string;
  caseId: string | null;
  /** A role (`broker`, `compliance`, `manager`), or `team` with the team as recipientId. */
  recipientRole: 'broker' | 'compliance' | 'manager' | 'team';
  recipientId: string | ComplaintTeam | null;
  /** IDs, codes and times only. */
  payload: Record<string, unknown>;
}

export interface ComplaintActivities {
  projectComplaint(input: { complaintId: string; seq: number; projection: ComplaintProjection }): Promise<void>;
  recordComplaintEvent(input: ComplaintEventInput): Promise<void>;
  notifyAboutComplaint(input: ComplaintNotificationInput): Promise<void>;
  /** Erases a complaint's own sealed data and its key (a complaint sealed under a case's key goes with the case). */
  eraseComplaintData(input: { complaintId: string; eventId: string; at: string }): Promise<{ erased: boolean }>;
}
