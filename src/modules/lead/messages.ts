import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Policy } from '../../platform/config/policy';
import type {
  AgeBand,
  CaseOutcome,
  ChannelGrade,
  ConsentPurpose,
  ConsentState,
  ContactChannel,
  ContactOutcome,
  ContactPurpose,
  LeadStage,
  RiskTier,
} from '../../platform/domain/types';
import type { Sealed, VerifiedActor } from '../../platform/workflow/verified';
import type { CostDisclosure } from './rules/cost';

/**
 * The leadCase workflow's contract: its input, its state and its messages. Everything here crosses
 * into Temporal's history, so it carries IDs and de-identified facts only: never a name, an ID
 * number, a phone, or free text a person typed (notes and reasons stay in Postgres).
 */
export interface CaseFacts {
  channelId: string;
  channelGrade: ChannelGrade;
  amountCny: number;
  termMonths: number;
  loanPurpose: string;
  ageBand: AgeBand;
  provinceCode: string;
  vulnerable: boolean;
  local: boolean;
}

export interface ConsentGrant {
  noticeVersion: string;
  purposes: ConsentPurpose[];
  /**
   * The lenders a `lender_sharing` grant names (PIPL art. 23, 29: a separate consent per recipient,
   * each named with its contact, purpose, method and data categories by the notice version). The API
   * requires them; a grant without them (an intake's) names no lender, so nothing can be submitted.
   */
  lenderIds?: string[];
}

export interface LeadCaseInput {
  caseId: string;
  facts: CaseFacts;
  /** Who submitted the lead (a channel or a broker), for the consent ledger's `source`. */
  submittedBy: string;
  consentAtIntake?: ConsentGrant;
  /** The policy in force when the case was opened; timers and limits of this case follow it. */
  policy: Policy;
  /** Set only by continue-as-new: the state to carry on from. */
  resumeFrom?: LeadCaseState;
  /**
   * The case's first projection, which the intake wrote with the case's row (a lead submitted
   * without consent): awaiting consent until this deadline, at projection seq 1. The workflow
   * starts from it instead of writing it again, and its search attributes were set at its start.
   * Absent on cases opened with consent, and on cases opened before intakes wrote it.
   */
  projectedAtIntake?: { consentDeadline: Deadline };
  /** Set only by continue-as-new: the Update answers and nonces the previous run had taken. */
  resumeMessages?: CarriedMessages;
}

/** The consent deadline of a case opened at `startMs`: `policy.consent.waitHours` on the clock (no working calendar applies to it). */
export function consentDeadlineFrom(startMs: number, policy: Policy): Deadline {
  return {
    kind: 'consent',
    startedAt: new Date(startMs).toISOString(),
    dueAt: new Date(startMs + policy.consent.waitHours * 3_600_000).toISOString(),
    reminded: false,
    escalated: false,
  };
}

export type DeadlineKind = 'consent' | 'review' | 'first_contact' | 'follow_up';

export interface Deadline {
  kind: DeadlineKind;
  startedAt: string;
  dueAt: string;
  reminded: boolean;
  escalated: boolean;
  /** Set when the deadline counts working time only (policy.businessHours): how much of it. */
  workingMs?: number;
}

export interface PurposeConsent {
  granted: boolean;
  noticeVersion: string | null;
  at: string | null;
}

/** The customer's `lender_sharing` consent for one lender, under the notice version that named it. */
export interface LenderConsent {
  granted: boolean;
  noticeVersion: string | null;
  at: string;
}

/** The customer's acknowledgement of a matched product's cost disclosure: which one (its hash), when, through whom. */
export interface CostAcknowledgement {
  productId: string;
  lenderId: string;
  disclosureHash: string;
  allInAprPct: number;
  source: string;
  at: string;
}

/** What the customer is shown for a matched product, with the SHA-256 of its canonical JSON (what they acknowledge). */
export type HashedCostDisclosure = CostDisclosure & { disclosureHash: string };

export interface ProductMatch {
  productId: string;
  lenderId: string;
  rank: number;
  reasons: string[];
  /** The all-in annualised cost for this case's amount and term (IRR × 12, every fee included). */
  allInAprPct: number;
  costDisclosure: HashedCostDisclosure;
}

export interface LeadCaseState {
  caseId: string;
  facts: CaseFacts;
  stage: LeadStage;
  /** Counts every state change; keys idempotent writes and orders projection updates. */
  seq: number;
  consent: Record<ConsentPurpose, PurposeConsent>;
  consentState: ConsentState;
  tier: RiskTier | null;
  rulesFired: string[];
  requiredDocuments: string[];
  reviewEscalated: boolean;
  humanReviewRequested: boolean;
  brokerId: string | null;
  /** Brokers this case has already been taken from (reassignment avoids them). */
  previousBrokerIds: string[];
  /** Brokers who left the firm (offboarding): the case must not stay with, or go to, them. */
  departedBrokerIds: string[];
  deadline: Deadline | null;
  matches: ProductMatch[];
  selectedProductId: string | null;
  /** `lender_sharing` consent per named lender, by lender ID: sharing with a lender needs its own. */
  lenderConsents: Record<string, LenderConsent>;
  /** The latest acknowledgement of each matched product's cost disclosure, by product ID. */
  costAcknowledgements: Record<string, CostAcknowledgement>;
  doNotContact: boolean;
  contactDay: { day: string; count: number } | null;
  contactAttempts: number;
  outcome: CaseOutcome | null;
  closeReason: string | null;
  closedAt: string | null;
  retentionDueAt: string | null;
  /** While on hold, the retention time that was left when the hold was placed. */
  legalHold: { placedAt: string; remainingMs: number | null } | null;
  erasedAt: string | null;
}

// ---- updates: the caller gets the new state or the refusal ----
// Each carries `auth`, its verified sender (see ./verified): nobody is named in a free-form field.
/** Who acted, as the API authenticated them: a subject and a role, never a name. */
export type ActingAs = VerifiedActor;
export type ConsentUpdate = Sealed<ConsentGrant>;
/** `lenderIds` (with `lender_sharing` only) withdraws the consent for those lenders only. */
export type WithdrawalUpdate = Sealed<{ purposes: ConsentPurpose[]; lenderIds?: string[] }>;
/** The customer acknowledges a matched product's cost disclosure, naming the hash they were shown. */
export type CostAcknowledgementUpdate = Sealed<{ productId: string; disclosureHash: string }>;
export type ReviewUpdate = Sealed<{ decision: 'approve' | 'decline' }>;
export type HumanReviewUpdate = Sealed;
/** Logged for the sending broker, who must be the case's assigned one. */
export type ContactAttemptUpdate = Sealed<{
  channel: ContactChannel;
  purpose: ContactPurpose;
  outcome: ContactOutcome;
}>;
export type SelectionUpdate = Sealed<{ productId: string }>;
export type OutcomeUpdate = Sealed<{ outcome: CaseOutcome }>;
/** The new broker, or null to return the case to the shared pool (公海). */
export type AssignmentUpdate = Sealed<{ brokerId: string | null }>;
export type LegalHoldUpdate = Sealed<{ hold: boolean }>;
export type DoNotContactUpdate = Sealed;

/** What every update returns: the event it created (to attach notes to) and the case afterwards. */
export interface UpdateResult {
  eventId: string;
  state: LeadCaseState;
}

/** Update answers and nonces a case carries across continue-as-new (see `LeadCaseInput.resumeMessages`). */
export interface CarriedMessages {
  /** Recent Update answers by Update ID, oldest first: a retry after a continue-as-new gets its first answer. */
  answers: [string, UpdateResult][];
  /** Nonces already taken (Update IDs and Signal nonces), oldest first. */
  nonces: string[];
}

export const grantConsentUpdate = defineUpdate<UpdateResult, [ConsentUpdate]>('grantConsent');
export const withdrawConsentUpdate = defineUpdate<UpdateResult, [WithdrawalUpdate]>('withdrawConsent');
export const reviewUpdate = defineUpdate<UpdateResult, [ReviewUpdate]>('review');
export const humanReviewUpdate = defineUpdate<UpdateResult, [HumanReviewUpdate]>('requestHumanReview');
export const contactAttemptUpdate = defineUpdate<UpdateResult, [ContactAttemptUpdate]>('logContactAttempt');
export const doNotContactUpdate = defineUpdate<UpdateResult, [DoNotContactUpdate]>('doNotContact');
export const costAcknowledgementUpdate = defineUpdate<UpdateResult, [CostAcknowledgementUpdate]>(
  'acknowledgeCostDisclosure',
);
export const selectionUpdate = defineUpdate<UpdateResult, [SelectionUpdate]>('selectProduct');
export const outcomeUpdate = defineUpdate<UpdateResult, [OutcomeUpdate]>('recordOutcome');
export const assignmentUpdate = defineUpdate<UpdateResult, [AssignmentUpdate]>('assign');
export const legalHoldUpdate = defineUpdate<UpdateResult, [LegalHoldUpdate]>('legalHold');

// ---- signals: fire-and-forget, from other workflows; each carries `auth` with a fresh nonce ----
/** A leaving broker's cases are handed over; ignored when the case is no longer theirs. */
export const brokerLeavingSignal = defineSignal<[Sealed<{ brokerId: string }>]>('brokerLeaving');
/** Another intake of the same person joined this case. */
export const duplicateIntakeSignal = defineSignal<[Sealed<{ channelId: string }>]>('duplicateIntake');
/**
 * From an intake that could not tell whether its rows committed (the database did not answer after
 * the COMMIT): the case's next projection waits for its row, and ends the case with
 * `case_never_committed` if the row never comes.
 */
export const intakeUnconfirmedSignal = defineSignal<[Sealed]>('intakeUnconfirmed');
/**
 * Another workflow asks that the customer is not contacted again (a harassment complaint about
 * contact): the same effect as the `doNotContact` Update, sent where nobody waits for an answer.
 */
export const doNotContactSignal = defineSignal<[Sealed]>('doNotContactRequested');

export const stateQuery = defineQuery<LeadCaseState>('state');
