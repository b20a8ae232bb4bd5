import type { Policy } from '../../../platform/config/policy';
import { isOpenStage, type ConsentPurpose } from '../../../platform/domain/types';
import { leadWorkflowId } from '../../../platform/temporal/names';
import type { Deadline, LeadCaseInput, LeadCaseState, UpdateResult } from '../messages';

/** Thrown inside the lifecycle when credit_assessment consent is withdrawn: every wait stops at once. */
export class CaseWithdrawn extends Error {}

/**
 * One run of a lead case: the state it carries across continue-as-new, and what only this run
 * knows (messages being written, the erasure begun). Every module of the workflow receives it.
 */
export class CaseRun {
  readonly input: LeadCaseInput;
  readonly policy: Policy;
  readonly state: LeadCaseState;
  /** The intake wrote this case's first projection and set its search attributes at the start. */
  readonly projectedAtIntake: boolean;
  /** The run began in a closed stage: its retention wait is already on a fresh history. */
  readonly resumedIntoRetention: boolean;
  /** The case's own workflow ID, from its input (checked at the start): a replay runs under another. */
  readonly workflowId: string;

  /** credit_assessment consent was withdrawn: the lifecycle stops and erases. */
  coreWithdrawn = false;
  /** Grants accepted and not yet written; and whether the consent deadline has been acted on. */
  grantsInFlight = 0;
  consentLapsed = false;
  /** Purposes whose withdrawal is accepted and still being written: validators treat them as withdrawn already. */
  readonly withdrawing = new Set<ConsentPurpose>();
  /** Lenders whose `lender_sharing` withdrawal is accepted and still being written. */
  readonly withdrawingLenders = new Set<string>();
  /** Human-review requests and manual reviews accepted and still being written. */
  humanReviewsInFlight = 0;
  reviewInFlight = false;
  reviewAcceptedAt = 0;
  /** A risk officer's decision, written and waiting for the review stage to act on it. */
  reviewDecision: 'approve' | 'decline' | null = null;
  /** Set while a deadline's automatic reassignment picks the next broker: the case is nobody's to act on. */
  reassigning = false;
  /** Bumped whenever a deadline is replaced, so the follow-up loop re-reads it. */
  deadlineVersion = 0;
  /** Set once an erasure has begun: from then on nothing that would need the data is accepted. */
  erasing = false;

  /** Nonces taken (Update IDs, Signal nonces) and recent Update answers, carried across continue-as-new. */
  readonly nonces: Set<string>;
  readonly answers: Map<string, UpdateResult>;

  constructor(input: LeadCaseInput) {
    this.input = input;
    this.policy = input.policy;
    this.state = input.resumeFrom ?? initialState(input);
    // A state carried from a run before per-lender consent existed has none yet.
    this.state.lenderConsents ??= {};
    this.state.costAcknowledgements ??= {};
    this.projectedAtIntake = input.projectedAtIntake !== undefined && input.resumeFrom === undefined;
    this.resumedIntoRetention = input.resumeFrom !== undefined && !isOpenStage(input.resumeFrom.stage);
    this.workflowId = leadWorkflowId(this.state.caseId);
    this.nonces = new Set(input.resumeMessages?.nonces ?? []);
    this.answers = new Map(input.resumeMessages?.answers ?? []);
  }

  /** The consent deadline the intake projected, while this run starts from that projection. */
  get intakeDeadline(): Deadline | null {
    return this.projectedAtIntake ? this.input.projectedAtIntake!.consentDeadline : null;
  }

  /** Granted, and no withdrawal of it being written. */
  consented(purpose: ConsentPurpose): boolean {
    return this.state.consent[purpose].granted && !this.withdrawing.has(purpose);
  }

  /** Sharing with this lender is agreed: a `lender_sharing` consent naming it, granted, and no withdrawal being written. */
  lenderConsented(lenderId: string): boolean {
    return (
      this.consented('lender_sharing') &&
      this.state.lenderConsents[lenderId]?.granted === true &&
      !this.withdrawingLenders.has(lenderId)
    );
  }

  /** A fresh key for a write: the case, its next sequence number and what the write is. */
  nextEventId(kind: string): string {
    return `${this.state.caseId}:${++this.state.seq}:${kind}`;
  }

  /** Workflow time (deterministic on replay). */
  now(): Date {
    return new Date(Date.now());
  }

  inFollowUp(): boolean {
    return this.state.stage === 'follow_up' || this.state.stage === 'submitted';
  }

  /** The case is still with a broker who has left the firm. */
  withDepartedBroker(): boolean {
    return this.state.brokerId !== null && this.state.departedBrokerIds.includes(this.state.brokerId);
  }

  /** Brokers a new assignment must avoid: those the case was taken from and those who left. */
  brokersToAvoid(): string[] {
    return [...new Set([...this.state.previousBrokerIds, ...this.state.departedBrokerIds])];
  }
}

function initialState(input: LeadCaseInput): LeadCaseState {
  const none = { granted: false, noticeVersion: null, at: null };
  return {
    caseId: input.caseId,
    facts: input.facts,
    stage: 'awaiting_consent',
    // The intake's projection, when it wrote one, is the first.
    seq: input.projectedAtIntake ? 1 : 0,
    consent: { credit_assessment: { ...none }, lender_sharing: { ...none }, marketing: { ...none } },
    consentState: 'none',
    tier: null,
    rulesFired: [],
    requiredDocuments: [],
    reviewEscalated: false,
    humanReviewRequested: false,
    brokerId: null,
    previousBrokerIds: [],
    departedBrokerIds: [],
    deadline: input.projectedAtIntake?.consentDeadline ?? null,
    matches: [],
    selectedProductId: null,
    lenderConsents: {},
    costAcknowledgements: {},
    doNotContact: false,
    contactDay: null,
    contactAttempts: 0,
    outcome: null,
    closeReason: null,
    closedAt: null,
    retentionDueAt: null,
    legalHold: null,
    erasedAt: null,
  };
}
