import type {
  CaseOutcome,
  ConsentPurpose,
  ConsentState,
  ContactChannel,
  ContactOutcome,
  ContactPurpose,
  LeadStage,
  RiskTier,
} from '../../../platform/domain/types';
import type { ActingAs, ProductMatch } from '../messages';

/**
 * What the workflows ask of the outside world. Workflows import this with `import type` only.
 * Every write is keyed by `eventId` (unique per workflow event) so a retried activity changes nothing.
 */

export interface ConsentEventInput {
  caseId: string;
  eventId: string;
  action: 'grant' | 'withdraw';
  purposes: ConsentPurpose[];
  noticeVersion: string | null;
  /** With `lender_sharing`: the lenders granted or withdrawn, one ledger row each. */
  lenderIds?: string[];
  source: string;
  at: string;
  /** The verified sender of the grant or withdrawal: its audit row names them (the workflow when absent). */
  actor?: ActingAs;
}

/** The customer's acknowledgement of a product's cost disclosure, with its hash and the all-in rate it showed. */
export interface CostAcknowledgementInput {
  caseId: string;
  eventId: string;
  productId: string;
  lenderId: string;
  disclosureHash: string;
  allInAprPct: number;
  source: string;
  at: string;
  actor: ActingAs;
}

export interface CaseProjection {
  stage: LeadStage;
  isOpen: boolean;
  riskTier: RiskTier | null;
  brokerId: string | null;
  consentState: ConsentState;
  slaDueAt: string | null;
  slaKind: string | null;
  doNotContact: boolean;
  selectedProductId: string | null;
  outcome: CaseOutcome | null;
  closedAt: string | null;
  retentionDueAt: string | null;
  legalHold: boolean;
}

/** A projection is applied only over an older one: `seq` grows with every state change of the case. */
export interface CaseProjectionInput {
  caseId: string;
  seq: number;
  projection: CaseProjection;
  /** Workflow time of the change (absent in histories from before it was added). */
  at?: string;
  /** A legal hold placed or released: its event row and audit row are written in the same statement. */
  holdEvent?: { eventId: string; hold: boolean; actor: ActingAs };
}

export interface PrescreenInput {
  caseId: string;
  eventId: string;
  at: string;
}
export interface PrescreenResult {
  tier: RiskTier;
  rulesFired: { code: string; effect: string; detail: string }[];
  requiredDocuments: string[];
}

export interface MatchInput {
  caseId: string;
  eventId: string;
  tier: RiskTier;
  at: string;
}
export interface MatchResult {
  matches: ProductMatch[];
  excludedCount: number;
}

export interface AssignInput {
  caseId: string;
  eventId: string;
  excludeBrokerIds: string[];
}

export interface DecisionInput {
  caseId: string;
  eventId: string;
  kind: 'manual_review' | 'human_review_request';
  tier: RiskTier | null;
  outcome: string;
  decidedBy: string;
  at: string;
  /** The verified person who decided or asked: the audit row names them. */
  actor?: ActingAs;
}

export interface ContactLogInput {
  caseId: string;
  eventId: string;
  brokerId: string;
  channel: ContactChannel;
  purpose: ContactPurpose;
  outcome: ContactOutcome;
  localDay: string;
  at: string;
}

export type NotificationKind =
  | 'first_contact_reminder'
  | 'follow_up_reminder'
  | 'sla_breached'
  | 'case_reassigned'
  | 'review_requested'
  | 'review_overdue'
  | 'human_review_requested'
  | 'case_assigned'
  | 'digest';

export interface NotificationInput {
  eventId: string;
  kind: NotificationKind;
  caseId: string | null;
  recipientRole: 'broker' | 'manager' | 'risk_officer' | 'compliance';
  recipientId: string | null;
  /** IDs and de-identified facts only. */
  payload: Record<string, unknown>;
}

export interface EraseInput {
  caseId: string;
  eventId: string;
  reason: 'consent_timeout' | 'consent_withdrawn' | 'retention_expired' | 'retention_sweep';
  at: string;
}

export interface LeadActivities {
  recordConsentEvent(input: ConsentEventInput): Promise<void>;
  recordCostAcknowledgement(input: CostAcknowledgementInput): Promise<void>;
  projectCase(input: CaseProjectionInput): Promise<void>;
  prescreenLead(input: PrescreenInput): Promise<PrescreenResult>;
  matchLead(input: MatchInput): Promise<MatchResult>;
  assignBroker(input: AssignInput): Promise<{ brokerId: string | null }>;
  recordDecision(input: DecisionInput): Promise<void>;
  /** The attempt, the projection it changes and its audit row, in one statement. */
  recordContactAttempt(input: {
    entry: ContactLogInput;
    case: CaseProjectionInput;
    auditedBy: ActingAs;
  }): Promise<void>;
  notify(input: NotificationInput): Promise<void>;
  eraseLeadData(input: EraseInput): Promise<{ erased: boolean }>;
}

/** What a retention sweep did. `caseIds` lists at most the first 1,000 erased; the counts are complete. */
export interface RetentionSweepResult {
  erased: number;
  caseIds: string[];
  idempotencyKeysPurged?: number;
  lenderApplicationsPurged?: number;
  /** Cases whose workflow had ended without erasing them: dated by the sweep, erased once due, or given back to a workflow running again. */
  workflowNotRunning?: { dated: number; erased: number; withdrawn: number; caseIds: string[] };
  /** Chunks done, over every attempt. */
  chunks?: number;
}

export interface MaintenanceActivities {
  listOpenCasesOfBroker(input: { brokerId: string }): Promise<string[]>;
  setBrokerActive(input: { brokerId: string; active: boolean }): Promise<void>;
  followUpDigest(input: { at: string; eventId: string }): Promise<{ breached: number }>;
  retentionSweep(input: { at: string }): Promise<RetentionSweepResult>;
  casesWithoutDeadline(input: { at: string; eventId: string }): Promise<{ count: number }>;
  planPostLoanCheckIns(input: {
    at: string;
    eventId: string;
  }): Promise<{ planned: number; pooled: number; cancelled: number }>;
  /**
   * Lead workflows on this worker's task queue, started between `windowHours` and `minAgeMinutes`
   * before `at` and still awaiting consent, whose case row does not exist: each is signalled
   * `intakeUnconfirmed`, so it looks for its row and ends.
   */
  signalOrphanedIntakes(input: {
    at: string;
    minAgeMinutes: number;
    windowHours: number;
  }): Promise<{ checked: number; caseIds: string[] }>;
}
