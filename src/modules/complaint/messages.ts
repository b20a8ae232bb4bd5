import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Policy } from '../../platform/config/policy';
import type {
  ComplaintCategory,
  ComplaintClock,
  ComplaintPriority,
  ComplaintResolution,
  ComplaintState,
  ComplaintTeam,
  ResponseChannel,
  Satisfaction,
} from './rules';
import type { Sealed } from '../../platform/workflow/verified';

/**
 * The complaintCase workflow's contract. Like the lead case, it carries IDs and codes only: the
 * complaint's description, the customer's contact and every note a person types stay in Postgres,
 * sealed (see src/modules/complaint/crypto.ts).
 */
export interface ComplaintFacts {
  complaintId: string;
  /** The lead case it is about; null for a customer with no case. */
  caseId: string | null;
  channelId: string | null;
  /** The case's broker when the complaint was filed. */
  brokerId: string | null;
  category: ComplaintCategory;
  priority: ComplaintPriority;
  /** The priority rules that raised it (empty when the requested priority stood). */
  priorityRaisedBy: string[];
  /** A harassment complaint about contact: the case goes on do-not-contact at once. */
  doNotContact: boolean;
  /**
   * Which key seals the description: the case's own data key (erased with the case), or a key of
   * the complaint's own (no case, or the case already erased), which the complaint erases itself
   * after its retention.
   */
  keyScope: 'case' | 'complaint';
}

export interface ComplaintCaseInput {
  facts: ComplaintFacts;
  /** `role:sub` of who filed it. */
  filedBy: string;
  /** When it was filed (stored in Postgres in the same instant): both clocks count from here. */
  filedAt: string;
  /** The policy in force when it was filed; its deadlines follow it. */
  policy: Policy;
}

export type DoNotContactStatus = 'not_needed' | 'applied' | 'case_finished';

export interface ComplaintCaseState {
  complaintId: string;
  facts: ComplaintFacts;
  state: ComplaintState;
  /** Counts every state change; keys idempotent writes and orders projection updates. */
  seq: number;
  filedAt: string;
  /** Runs until the first response; null afterwards. */
  firstResponseClock: ComplaintClock | null;
  firstResponseDueAt: string;
  firstRespondedAt: string | null;
  /** Runs until the complaint is closed; restarted when a dissatisfied customer reopens it. */
  resolutionClock: ComplaintClock | null;
  resolutionDueAt: string;
  /** Sticky, for reports: the first response came (or is still missing) after its due time. */
  lateFirstResponse: boolean;
  /** Sticky, for reports: a resolution clock ran out before the complaint was closed. */
  lateResolution: boolean;
  escalatedTo: { teams: ComplaintTeam[]; at: string } | null;
  timesReopened: number;
  doNotContact: DoNotContactStatus;
  resolution: ComplaintResolution | null;
  satisfaction: Satisfaction | null;
  closedAt: string | null;
  retentionDueAt: string | null;
  erasedAt: string | null;
  /**
   * A legal hold keeps the description past its retention: the clock stops while it lasts.
   * `remainingMs` is what was left of retention when it stopped (null while the complaint is open).
   */
  legalHold: { placedAt: string; by: string; remainingMs: number | null } | null;
}

// ---- updates: the caller gets the new state or the refusal; each carries its verified sender (./verified) ----
export type FirstResponseUpdate = Sealed<{ via: ResponseChannel }>;
export type EscalateToGroupUpdate = Sealed<{ teams: ComplaintTeam[] }>;
export type CloseComplaintUpdate = Sealed<{ resolution: ComplaintResolution; satisfaction: Satisfaction }>;
export type ComplaintLegalHoldUpdate = Sealed<{ hold: boolean }>;

/** What every update returns: the event it recorded (to attach a sealed note to) and the complaint afterwards. */
export interface ComplaintUpdateResult {
  eventId: string;
  state: ComplaintCaseState;
}

/** What the workflow returns when it ends: how the complaint ended, and when. */
export interface ComplaintCaseResult {
  complaintId: string;
  state: ComplaintCaseState['state'];
  closedAt: string | null;
  erasedAt: string | null;
}

/** Answers once the opening steps that cannot wait (do-not-contact) are done. */
export const complaintOpenedUpdate = defineUpdate<ComplaintUpdateResult, []>('awaitOpening');
export const firstResponseUpdate = defineUpdate<ComplaintUpdateResult, [FirstResponseUpdate]>('respond');
export const escalateToGroupUpdate = defineUpdate<ComplaintUpdateResult, [EscalateToGroupUpdate]>('escalateToGroup');
export const closeComplaintUpdate = defineUpdate<ComplaintUpdateResult, [CloseComplaintUpdate]>('close');
export const complaintLegalHoldUpdate = defineUpdate<ComplaintUpdateResult, [ComplaintLegalHoldUpdate]>('legalHold');

export const complaintStateQuery = defineQuery<ComplaintCaseState>('state');
