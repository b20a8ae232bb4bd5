import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  isCancellation,
  log,
  proxyLocalActivities,
  setCurrentDetails,
  TimeoutFailure,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState, type UpdateDefinition } from '@temporalio/common';
import type { CaseProjectionInput, LeadActivities } from '../activities/contract';
import { addWorkingTime, type WorkingCalendar } from '../domain/business-hours';
import type { Policy } from '../config/policy';
import { checkContactAllowed, localDayKey } from '../domain/contact-rules';
import { retentionDueAt } from '../domain/retention';
import { CONSENT_PURPOSES, isOpenStage, type ConsentPurpose, type ConsentState, type LeadStage } from '../domain/types';
import {
  AmountCnyKey,
  BrokerIdKey,
  ChannelIdKey,
  ConsentStateKey,
  LeadStageKey,
  RiskTierKey,
  SlaDueAtKey,
  VulnerableKey,
} from '../temporal/search-attributes';
import {
  assignmentUpdate,
  brokerLeavingSignal,
  contactAttemptUpdate,
  doNotContactSignal,
  doNotContactUpdate,
  duplicateIntakeSignal,
  intakeUnconfirmedSignal,
  grantConsentUpdate,
  humanReviewUpdate,
  legalHoldUpdate,
  outcomeUpdate,
  reviewUpdate,
  selectionUpdate,
  stateQuery,
  withdrawConsentUpdate,
  type Deadline,
  type DeadlineKind,
  type LeadCaseInput,
  type LeadCaseState,
  type UpdateResult,
} from './messages';
import { leadWorkflowId } from '../temporal/names';
import { ANSWER_MEMORY, actorLabel, actorOf, isRefusedPayload, NONCE_MEMORY, sealProblem, type VerifiedActor } from './verified';
import { verifiedActivities } from './verified-activities';
import { NOT_THE_CASE_RUN } from './run-chain';

/**
 * How many times a case write is tried inside the worker before the server takes its retries over:
 * about eight in the first 13 s, then four more on back-off timers, some four minutes in all. A
 * count, not a timeout, so the bound is the same on the workflow's clock and the worker's.
 */
export const LOCAL_WRITE_ATTEMPTS = 12;

// Each activity is a few queries: a short timeout lets a crashed worker's task move on quickly.
const activities = verifiedActivities<LeadActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The case's own small writes (projection, consent, decisions, contact log, notifications) run as
 * local activities: in the worker, inside the workflow task that needs them, with no activity task
 * round trip through the server. Each write is keyed (seq or eventId), so a re-run after a crash
 * changes nothing. A back-off longer than the threshold waits on a server timer instead of holding
 * the workflow task. The pre-screen, matching, assignment and erasure stay ordinary activities.
 */
const tryLocally = proxyLocalActivities<LeadActivities>({
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  // Past the threshold every retry of a local activity adds events to the history; unbounded, a
  // database down for days would carry the case to Temporal's event limit and its termination.
  retry: { initialInterval: '100 milliseconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: LOCAL_WRITE_ATTEMPTS },
});

/**
 * A write that is still failing when its local bound runs out goes on as an ordinary activity: the
 * server keeps its retries and the history grows by a few events however long the outage lasts. The
 * writes are keyed, so the one that finally lands is the only one. A refusal (a non-retryable
 * failure) or a cancellation is not retried this way.
 */
const localWrites = new Proxy({} as LeadActivities, {
  get: (_target, name: keyof LeadActivities) =>
    async (...args: unknown[]) => {
      const call = <F>(proxy: LeadActivities) => (proxy[name] as (...a: unknown[]) => Promise<F>)(...args);
      try {
        return await call(tryLocally);
      } catch (err) {
        // A local activity's refusal comes unwrapped; wrapped, it reads as any activity's does.
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          throw new ActivityFailure(err.message, String(name), undefined, RetryState.NON_RETRYABLE_FAILURE, undefined, err);
        }
        if (!outlastedLocalBound(err)) throw err;
        log.warn('a case write outlasted its local retries; retrying it as an activity', { activity: String(name) });
        return call(activities);
      }
    },
});

/** True for a write that failed only because its local attempts ran out (a local activity's last failure comes unwrapped). */
function outlastedLocalBound(err: unknown): boolean {
  if (isCancellation(err)) return false;
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (failure instanceof ApplicationFailure) return !failure.nonRetryable;
  return failure instanceof TimeoutFailure;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Thrown inside the lifecycle when credit_assessment consent is withdrawn: every wait stops at once. */
class CaseWithdrawn extends Error {}

/** Refusals reach the API as update failures with a stable type, which becomes the problem `code`. */
const refuse = (code: string, message: string): never => {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
};

export interface LeadCaseResult {
  caseId: string;
  stage: LeadStage;
  closeReason: string | null;
  erasedAt: string | null;
}

/**
 * One lead, from intake to erasure. Timers are the deadlines; Updates are the people acting on it;
 * activities do the I/O. The case carries no personal data: the activities look it up by caseId.
 */
export async function leadCase(input: LeadCaseInput): Promise<LeadCaseResult> {
  const refusedStart = startProblem(input);
  if (refusedStart) {
    // Nothing is written and nothing is published: the input is not one the service gave.
    log.warn('a start of leadCase was refused', { reason: refusedStart });
    return { caseId: '', stage: 'awaiting_consent', closeReason: 'refused_start', erasedAt: null };
  }
  const policy = input.policy;
  const state: LeadCaseState = input.resumeFrom ?? initialState(input);
  /** The intake wrote this case's first projection and set its search attributes at the start. */
  const projectedAtIntake = input.projectedAtIntake !== undefined && input.resumeFrom === undefined;
  let coreWithdrawn = false;
  /** Grants accepted and not yet finished; and whether the consent deadline has been acted on. */
  let grantsInFlight = 0;
  let consentLapsed = false;
  /** Human-review requests and manual reviews accepted and still being written. */
  let humanReviewsInFlight = 0;
  let reviewInFlight = false;
  let reviewAcceptedAt = 0;
  /** Set once an erasure has begun: from then on nothing that would need the data is accepted. */
  let erasing = false;
  /** Set while a deadline's automatic reassignment picks the next broker: the case is nobody's to act on. */
  let reassigning = false;
  /** Purposes whose withdrawal is accepted and still being written: validators treat them as withdrawn already. */
  const withdrawing = new Set<ConsentPurpose>();
  const consented = (p: ConsentPurpose) => state.consent[p].granted && !withdrawing.has(p);
  /** Bumped whenever a deadline is replaced, so the follow-up loop re-reads it. */
  let deadlineVersion = 0;

  const now = () => new Date(Date.now());
  const nextEventId = (kind: string) => `${state.caseId}:${++state.seq}:${kind}`;

  // ---------------------------------------------------------------- verified messages
  // The case's own workflow ID, from its input (checked against the workflow's at the start): a replay runs under another.
  const workflowId = leadWorkflowId(state.caseId);
  /** Nonces taken (Update IDs, Signal nonces) and recent Update answers, carried across continue-as-new. */
  const nonces = new Set<string>(input.resumeMessages?.nonces ?? []);
  const answers = new Map<string, UpdateResult>(input.resumeMessages?.answers ?? []);
  const takeNonce = (nonce: string) => {
    nonces.add(nonce);
    if (nonces.size > NONCE_MEMORY) nonces.delete(nonces.values().next().value!);
  };
  const remember = (updateId: string, result: UpdateResult) => {
    answers.set(updateId, JSON.parse(JSON.stringify(result)) as UpdateResult);
    if (answers.size > ANSWER_MEMORY) answers.delete(answers.keys().next().value!);
  };

  /**
   * Registers a case-changing Update. Its validator refuses a message without a verified sender
   * for this case, this Update and this Update ID, or whose ID was taken before; an Update ID
   * answered by an earlier run of this case gets that answer again (a retry across continue-as-new).
   */
  function onUpdate<A>(
    def: UpdateDefinition<UpdateResult, [A], string>,
    handler: (arg: A, actor: VerifiedActor) => Promise<UpdateResult>,
    validator: (arg: A, actor: VerifiedActor) => void,
  ): void {
    setHandler(
      def,
      async (arg: A): Promise<UpdateResult> => {
        const updateId = currentUpdateInfo()?.id;
        const earlier = updateId === undefined ? undefined : answers.get(updateId);
        if (earlier) return earlier;
        if (updateId !== undefined) takeNonce(updateId);
        const result = await handler(arg, actorOf(arg)!);
        if (updateId !== undefined) remember(updateId, result);
        return result;
      },
      {
        validator: (arg: A) => {
          const updateId = currentUpdateInfo()?.id ?? '';
          const problem = sealProblem(arg, { workflowId, message: def.name, nonce: updateId });
          if (problem) refuse('unverified_message', problem);
          if (answers.has(updateId)) return;
          if (nonces.has(updateId)) refuse('message_replayed', 'this Update ID was already used on this case');
          validator(arg, actorOf(arg)!);
        },
      },
    );
  }

  /** The sender of a Signal, or null when it is to be ignored (not verified, or its nonce already taken). */
  function signalSender(name: string, arg: unknown): VerifiedActor | null {
    const problem = sealProblem(arg, { workflowId, message: name, nonce: null });
    const nonce = (arg as { auth?: { nonce?: string } } | undefined)?.auth?.nonce ?? '';
    if (!problem && !nonces.has(nonce)) {
      takeNonce(nonce);
      return actorOf(arg);
    }
    log.warn('a signal to the case was ignored', { caseId: state.caseId, signal: name, reason: problem ?? 'its nonce was already taken' });
    return null;
  }

  // ---------------------------------------------------------------- visibility and projection
  function consentStateOf(): ConsentState {
    const granted = CONSENT_PURPOSES.filter((p) => state.consent[p].granted);
    if (coreWithdrawn || state.consentState === 'withdrawn') return 'withdrawn';
    if (granted.length === 0) return 'none';
    return granted.length === CONSENT_PURPOSES.length ? 'granted' : 'partial';
  }

  function waitingFor(): string {
    const d = state.deadline;
    const until = d ? ` (due ${d.dueAt}${d.workingMs !== undefined ? ', counting working hours' : ''})` : '';
    switch (state.stage) {
      case 'awaiting_consent':
        return `the customer's credit-assessment consent${until}`;
      case 'prescreening':
        return 'the automated pre-screen';
      case 'manual_review':
        return `a risk officer's review${until}${state.reviewEscalated ? ', escalated' : ''}`;
      case 'matching':
        return 'product matching and broker assignment';
      case 'follow_up':
        return state.brokerId
          ? `${d?.kind === 'first_contact' ? 'first contact' : 'follow-up'} by broker ${state.brokerId}${until}`
          : `a broker to pick the case from the shared pool${until}`;
      case 'submitted':
        return `the lender's decision on product ${state.selectedProductId}`;
      case 'erased':
        return 'nothing: personal data erased';
      default:
        return state.legalHold
          ? 'release of the legal hold (retention clock paused)'
          : `the end of retention on ${state.retentionDueAt}, then erasure`;
    }
  }

  function publishVisibility(): void {
    const f = state.facts;
    upsertSearchAttributes([
      { key: LeadStageKey, value: state.stage },
      { key: RiskTierKey, value: state.tier ?? null },
      { key: ChannelIdKey, value: f.channelId },
      { key: BrokerIdKey, value: state.brokerId ?? null },
      { key: ConsentStateKey, value: state.consentState },
      { key: SlaDueAtKey, value: state.deadline ? new Date(state.deadline.dueAt) : null },
      { key: VulnerableKey, value: f.vulnerable },
      { key: AmountCnyKey, value: f.amountCny },
    ]);
    publishDetails();
  }

  /** The case summary managers read in the Web UI's User Metadata tab (no history event). */
  function publishDetails(): void {
    const f = state.facts;
    setCurrentDetails(
      [
        // A run continued as new has no static summary (continueAsNew cannot set one): the details carry it.
        ...(input.resumeFrom ? [`**Lead case** · ${f.channelId} · ${f.amountCny} CNY over ${f.termMonths} months · ${f.loanPurpose} (continued from an earlier run)`] : []),
        `**Stage:** ${state.stage}${state.closeReason ? ` (${state.closeReason})` : ''}`,
        `**Waiting for:** ${waitingFor()}`,
        `**Tier:** ${state.tier ?? 'not yet scored'} · **Consent:** ${state.consentState} · **Vulnerable:** ${f.vulnerable ? 'yes' : 'no'} · **Local:** ${f.local ? 'yes' : 'no'}`,
        `**Channel:** ${f.channelId} (${f.channelGrade}) · **Amount:** ${f.amountCny} CNY / ${f.termMonths} months · **Broker:** ${state.brokerId ?? 'none'}`,
      ].join('\n'),
    );
  }

  /** The next projection of the case: bumps its sequence and publishes search attributes and details. */
  function nextProjection(): CaseProjectionInput {
    state.consentState = consentStateOf();
    state.seq++;
    publishVisibility();
    return {
      caseId: state.caseId,
      seq: state.seq,
      at: now().toISOString(),
      projection: {
        stage: state.stage,
        isOpen: isOpenStage(state.stage),
        riskTier: state.tier,
        brokerId: state.brokerId,
        consentState: state.consentState,
        slaDueAt: state.deadline?.dueAt ?? null,
        slaKind: state.deadline?.kind ?? null,
        doNotContact: state.doNotContact,
        selectedProductId: state.selectedProductId,
        outcome: state.outcome,
        closedAt: state.closedAt,
        retentionDueAt: state.retentionDueAt,
        legalHold: state.legalHold !== null,
      },
    };
  }

  /**
   * Whether the case is still exactly what its intake projected (awaiting consent, nothing granted,
   * no broker, no hold, the intake's deadline, nothing projected since): then there is nothing to write.
   */
  function stillAsProjectedAtIntake(): boolean {
    return (
      projectedAtIntake && state.seq === 1 && state.stage === 'awaiting_consent' && consentStateOf() === 'none' && state.brokerId === null &&
      !state.doNotContact && state.legalHold === null && state.deadline === input.projectedAtIntake!.consentDeadline
    );
  }

  /** Publishes a state change: search attributes, details, and the Postgres projection (with `extra` written in the same statement). */
  async function commit(extra: Pick<CaseProjectionInput, 'holdEvent'> = {}): Promise<void> {
    await localWrites.projectCase({ ...nextProjection(), ...extra });
  }

  function setDeadline(kind: DeadlineKind | null, durationMs = 0): void {
    deadlineVersion++;
    if (kind === null) {
      state.deadline = null;
      return;
    }
    const start = Date.now();
    const calendar = workingCalendarFor(kind);
    state.deadline = {
      kind,
      startedAt: new Date(start).toISOString(),
      dueAt: new Date(calendar ? afterWorkingTime(start, durationMs, calendar) : start + durationMs).toISOString(),
      reminded: false,
      escalated: false,
      ...(calendar ? { workingMs: durationMs } : {}),
    };
  }

  /**
   * The working calendar when this kind of deadline counts working time only. Cases started before
   * policies had `businessHours` carry a policy without it: their deadlines run on the clock.
   */
  function workingCalendarFor(kind: DeadlineKind): WorkingCalendar | null {
    const hours = (policy as Partial<Policy>).businessHours;
    return hours && (hours.deadlines as string[]).includes(kind) ? hours : null;
  }

  /** Working time added to `startMs`; on a calendar too thin to hold it (a holiday list gone wrong), clock time, with a warning. */
  function afterWorkingTime(startMs: number, workMs: number, calendar: WorkingCalendar): number {
    try {
      return addWorkingTime(startMs, workMs, calendar);
    } catch (err) {
      log.warn('the working calendar cannot hold this deadline; it runs on the clock', { caseId: state.caseId, error: (err as Error).message });
      return startMs + workMs;
    }
  }

  const firstContactMs = () => policy.followUp.firstContactMinutes[state.tier === 'A' ? 'A' : 'B'] * MINUTE;

  /** Waits for `until` or the time `dueAtMs`; a withdrawal of core consent interrupts any wait. */
  async function waitFor(until: () => boolean, dueAtMs?: number): Promise<boolean> {
    const stop = () => until() || coreWithdrawn;
    const met = dueAtMs === undefined ? (await condition(stop), true) : await condition(stop, Math.max(1, dueAtMs - Date.now()));
    if (coreWithdrawn) throw new CaseWithdrawn();
    return met;
  }

  function close(stage: 'closed' | 'declined', reason: string): void {
    state.stage = stage;
    state.closeReason = reason;
    state.closedAt = now().toISOString();
    setDeadline(null);
    state.retentionDueAt = retentionDueAt({ closedAt: now(), converted: state.outcome === 'approved' }, policy).toISOString();
  }

  async function erase(reason: 'consent_timeout' | 'consent_withdrawn' | 'retention_expired'): Promise<void> {
    // A legal hold outranks every erasure clock: wait for its release.
    await condition(() => state.legalHold === null);
    erasing = true;
    await activities.eraseLeadData({ caseId: state.caseId, eventId: nextEventId('erase'), reason, at: now().toISOString() });
    state.stage = 'erased';
    state.closeReason = state.closeReason ?? reason;
    state.erasedAt = now().toISOString();
    setDeadline(null);
    await commit();
  }

  // ---------------------------------------------------------------- consent
  async function recordGrant(noticeVersion: string, purposes: ConsentPurpose[], source: string, actor?: VerifiedActor): Promise<string> {
    const eventId = nextEventId('consent');
    const at = now().toISOString();
    await localWrites.recordConsentEvent({ caseId: state.caseId, eventId, action: 'grant', purposes, noticeVersion, source, at, actor });
    for (const p of purposes) state.consent[p] = { granted: true, noticeVersion, at };
    return eventId;
  }

  onUpdate(
    grantConsentUpdate,
    async ({ noticeVersion, purposes }, actor): Promise<UpdateResult> => {
      grantsInFlight++;
      try {
        const eventId = await recordGrant(noticeVersion, purposes, actorLabel(actor), actor);
        await commit();
        return { eventId, state };
      } finally {
        grantsInFlight--;
      }
    },
    ({ purposes }) => {
        if (!isOpenStage(state.stage) || coreWithdrawn) refuse('case_closed', `consent cannot be granted to a case in stage ${state.stage}`);
        if (consentLapsed || erasing) refuse('case_closed', 'the consent deadline has passed: the case is being erased');
        if (purposes.length === 0) refuse('no_purposes', 'name at least one purpose');
    },
  );

  onUpdate(
    withdrawConsentUpdate,
    async ({ purposes }, actor): Promise<UpdateResult> => {
      const eventId = nextEventId('withdraw');
      const at = now().toISOString();
      const source = actorLabel(actor);
      for (const p of purposes) withdrawing.add(p);
      try {
        await localWrites.recordConsentEvent({ caseId: state.caseId, eventId, action: 'withdraw', purposes, noticeVersion: null, source, at, actor });
        for (const p of purposes) state.consent[p] = { granted: false, noticeVersion: state.consent[p].noticeVersion, at };
      } finally {
        for (const p of purposes) withdrawing.delete(p);
      }
      if (purposes.includes('credit_assessment')) {
        coreWithdrawn = true;
        // Answer once the personal data is gone (or a legal hold keeps it), so the caller sees the result.
        await condition(() => state.stage === 'erased' || (state.stage === 'withdrawn' && state.legalHold !== null));
      } else {
        await commit();
      }
      return { eventId, state };
    },
    ({ purposes }) => {
      if (state.stage === 'erased' || coreWithdrawn) refuse('case_closed', 'consent was already withdrawn or the data erased');
      if (purposes.length === 0) refuse('no_purposes', 'name at least one purpose');
      const notGranted = purposes.filter((p: ConsentPurpose) => p !== 'credit_assessment' && !consented(p));
      if (notGranted.length > 0) refuse('consent_not_granted', `not granted, so nothing to withdraw: ${notGranted.join(', ')}`);
    },
  );

  // ---------------------------------------------------------------- review
  let reviewDecision: 'approve' | 'decline' | null = null;
  onUpdate(
    reviewUpdate,
    async ({ decision }, actor): Promise<UpdateResult> => {
      const eventId = nextEventId('review');
      reviewInFlight = true;
      reviewAcceptedAt = Date.now();
      try {
        await localWrites.recordDecision({
          caseId: state.caseId, eventId, kind: 'manual_review', tier: state.tier, outcome: decision,
          decidedBy: actor.sub, at: now().toISOString(), actor,
        });
        reviewDecision = decision;
      } finally {
        reviewInFlight = false;
      }
      // The main loop moves the case on (matching and assignment, or decline); answer with where it lands.
      await condition(() => (state.stage !== 'manual_review' && state.stage !== 'matching') || coreWithdrawn);
      return { eventId, state };
    },
    (_arg, actor) => {
      if (actor.role !== 'risk_officer') refuse('not_a_reviewer', 'only a risk officer reviews a case');
      if (state.stage !== 'manual_review' || reviewDecision !== null) {
        refuse('not_in_review', `only a case in manual_review can be reviewed; this one is ${state.stage}`);
      }
      // A review accepted and still being recorded decides: a second reviewer is refused as if it were done.
      if (reviewInFlight) refuse('not_in_review', 'another review of this case is being recorded');
    },
  );

  onUpdate(
    humanReviewUpdate,
    async (arg, actor): Promise<UpdateResult> => {
      const eventId = nextEventId('human_review');
      humanReviewsInFlight++;
      try {
        await localWrites.recordDecision({
          caseId: state.caseId, eventId, kind: 'human_review_request', tier: state.tier, outcome: 'requested',
          decidedBy: actorLabel(actor), at: now().toISOString(), actor,
        });
        state.humanReviewRequested = true;
      } finally {
        humanReviewsInFlight--;
      }
      await condition(() => state.stage === 'manual_review' || coreWithdrawn);
      return { eventId, state };
    },
    () => {
      if (state.stage !== 'declined' || state.closeReason !== 'prescreen_declined' || state.humanReviewRequested || humanReviewsInFlight > 0) {
        refuse('no_automated_decline', 'a human review can be asked for a case declined by the automated pre-screen, once');
      }
      if (erasing) refuse('case_closed', 'the retention period has ended: the personal data is being erased');
      if (state.legalHold) refuse('legal_hold', 'the case is under legal hold');
    },
  );

  // ---------------------------------------------------------------- follow-up
  /** Brokers a new assignment must avoid: those the case was taken from and those who left. */
  const excluded = () => [...new Set([...state.previousBrokerIds, ...state.departedBrokerIds])];
  const inFollowUp = () => state.stage === 'follow_up' || state.stage === 'submitted';
  const requireAssignedBroker = (actor: VerifiedActor) => {
    notWhileReassigning();
    if (actor.role !== 'broker' || state.brokerId !== actor.sub) refuse('not_assigned_broker', 'only the broker assigned to the case may act on it');
  };
  const notWhileReassigning = () => {
    if (reassigning) refuse('being_reassigned', 'the follow-up deadline passed twice over: the case is being handed to another broker');
  };

  onUpdate(
    contactAttemptUpdate,
    async (arg, actor): Promise<UpdateResult> => {
      const at = now();
      const day = localDayKey(at, policy.contact.timeZone);
      const eventId = nextEventId('contact');
      const entry = {
        caseId: state.caseId, eventId, brokerId: actor.sub, channel: arg.channel, purpose: arg.purpose, outcome: arg.outcome,
        localDay: day, at: at.toISOString(),
      };
      state.contactDay = { day, count: state.contactDay?.day === day ? state.contactDay.count + 1 : 1 };
      state.contactAttempts++;
      if (state.stage === 'follow_up') setDeadline('follow_up', policy.followUp.nextFollowUpHours * HOUR);
      // The attempt, the projection it changes and the action's audit row are written in one statement.
      await localWrites.recordContactAttempt({ entry, case: nextProjection(), auditedBy: actor });
      return { eventId, state };
    },
    (attempt, actor) => {
      if (!inFollowUp()) refuse('wrong_stage', `contact is logged during follow-up; this case is ${state.stage}`);
      requireAssignedBroker(actor);
      const at = now();
      const day = localDayKey(at, policy.contact.timeZone);
      const verdict = checkContactAllowed(
        {
          at,
          purpose: attempt.purpose,
          attemptsToday: state.contactDay?.day === day ? state.contactDay.count : 0,
          doNotContact: state.doNotContact,
          marketingConsent: consented('marketing'),
          vulnerable: state.facts.vulnerable,
        },
        policy,
      );
      if (!verdict.allowed) refuse(verdict.code, verdict.reason);
    },
  );

  async function markDoNotContact(): Promise<string> {
    state.doNotContact = true;
    const eventId = nextEventId('do_not_contact');
    await commit();
    return eventId;
  }

  onUpdate(
    doNotContactUpdate,
    async (): Promise<UpdateResult> => {
      const eventId = await markDoNotContact();
      return { eventId, state };
    },
    () => {
      if (state.stage === 'erased') refuse('case_closed', 'the personal data is already erased');
    },
  );

  // From a complaint's workflow: nothing to refuse, so a signal. A repeat changes nothing.
  setHandler(doNotContactSignal, async (arg) => {
    const sender = signalSender(doNotContactSignal.name, arg);
    if (!sender || state.doNotContact || state.stage === 'erased') return;
    log.info('do-not-contact requested by another workflow', { caseId: state.caseId, by: actorLabel(sender) });
    await markDoNotContact();
  });

  onUpdate(
    selectionUpdate,
    async ({ productId }): Promise<UpdateResult> => {
      state.selectedProductId = productId;
      const eventId = nextEventId('selection');
      await commit();
      return { eventId, state };
    },
    ({ productId }, actor) => {
      if (state.stage !== 'follow_up') refuse('wrong_stage', `a product is chosen during follow-up; this case is ${state.stage}`);
      requireAssignedBroker(actor);
      if (!state.matches.some((m) => m.productId === productId)) {
        refuse('product_not_matched', `product ${productId} is not one of this case's matches`);
      }
    },
  );

  onUpdate(
    outcomeUpdate,
    async ({ outcome }): Promise<UpdateResult> => {
      const eventId = nextEventId('outcome');
      state.outcome = outcome;
      if (outcome === 'submitted') {
        state.stage = 'submitted';
        setDeadline(null); // the lender's turn: no broker deadline runs
      } else {
        close('closed', outcome);
      }
      await commit();
      return { eventId, state };
    },
    ({ outcome }, actor) => {
      if (!inFollowUp()) refuse('wrong_stage', `an outcome is recorded during follow-up; this case is ${state.stage}`);
      requireAssignedBroker(actor);
      if (outcome === 'submitted') {
        if (state.stage !== 'follow_up') refuse('already_submitted', 'the case was already submitted to a lender');
        if (!state.selectedProductId) refuse('no_selection', "record the customer's product choice before submitting");
        if (!consented('lender_sharing')) {
          refuse('lender_sharing_consent_missing', 'the customer has not agreed to share data with a lender');
        }
      }
      if ((outcome === 'approved' || outcome === 'lender_declined') && state.stage !== 'submitted') {
        refuse('not_submitted', `a lender's decision needs a submission first; this case is ${state.stage}`);
      }
    },
  );

  /** Gives the case to `to`; `onAssigned` runs as soon as the case is theirs, before anything is written. */
  async function handOver(to: string | null, reason: string, onAssigned?: () => void): Promise<void> {
    const from = state.brokerId;
    if (from) state.previousBrokerIds = [...new Set([...state.previousBrokerIds, from])];
    state.brokerId = to;
    onAssigned?.();
    if (state.stage === 'follow_up') setDeadline(state.contactAttempts === 0 ? 'first_contact' : 'follow_up', state.contactAttempts === 0 ? firstContactMs() : policy.followUp.nextFollowUpHours * HOUR);
    await commit();
    if (to) {
      await localWrites.notify({
        eventId: nextEventId('notify_assigned'), kind: 'case_assigned', caseId: state.caseId, recipientRole: 'broker', recipientId: to,
        payload: { caseId: state.caseId, reason, previousBrokerId: from, dueAt: state.deadline?.dueAt ?? null },
      });
    }
  }

  onUpdate(
    assignmentUpdate,
    async (arg, actor): Promise<UpdateResult> => {
      const eventId = nextEventId('assignment');
      await handOver(arg.brokerId, `reassigned by ${actorLabel(actor)}`);
      return { eventId, state };
    },
    ({ brokerId }, actor) => {
      if (actor.role !== 'manager') refuse('not_a_manager', 'only a manager reassigns a case');
      if (!inFollowUp()) refuse('wrong_stage', `only a case in follow-up can be reassigned; this case is ${state.stage}`);
      notWhileReassigning();
      if (brokerId !== null && brokerId === state.brokerId) refuse('already_assigned', 'the case is already with that broker');
    },
  );

  // Idempotent by construction: the hand-over happens while the case is still with a departed broker.
  setHandler(brokerLeavingSignal, (arg) => {
    if (!signalSender(brokerLeavingSignal.name, arg)) return;
    const { brokerId } = arg;
    if (!state.departedBrokerIds.includes(brokerId)) state.departedBrokerIds = [...state.departedBrokerIds, brokerId];
  });
  const withDepartedBroker = () => state.brokerId !== null && state.departedBrokerIds.includes(state.brokerId);

  setHandler(duplicateIntakeSignal, (arg) => {
    if (!signalSender(duplicateIntakeSignal.name, arg)) return;
    log.info('another intake of the same person joined this case', { caseId: state.caseId, channelId: arg.channelId });
  });

  // A case its intake projected has no write of its own until consent or its deadline comes. If the
  // intake could not tell whether its rows committed, one now: it waits for the row, and fails the
  // case with case_never_committed when the row never comes (a workflow without its case ends).
  setHandler(intakeUnconfirmedSignal, async (arg) => {
    if (!signalSender(intakeUnconfirmedSignal.name, arg)) return;
    if (!stillAsProjectedAtIntake()) return;
    try {
      await commit();
    } catch (err) {
      // The workflow fails with the refusal itself (case_never_committed), not its activity wrapper.
      throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
    }
  });

  // ---------------------------------------------------------------- legal hold
  onUpdate(
    legalHoldUpdate,
    async ({ hold }, actor): Promise<UpdateResult> => {
      const eventId = nextEventId(hold ? 'hold' : 'release');
      if (hold) {
        const retentionRunning = !isOpenStage(state.stage) && state.retentionDueAt !== null;
        state.legalHold = {
          placedAt: now().toISOString(),
          remainingMs: retentionRunning ? Math.max(0, Date.parse(state.retentionDueAt!) - Date.now()) : null,
        };
      } else {
        const remaining = state.legalHold?.remainingMs;
        if (remaining !== null && remaining !== undefined) state.retentionDueAt = new Date(Date.now() + remaining).toISOString();
        state.legalHold = null;
      }
      // The hold's event and its audit row are written with the projection, in one statement.
      await commit({ holdEvent: { eventId, hold, actor } });
      return { eventId, state };
    },
    ({ hold }, actor) => {
      if (actor.role !== 'compliance') refuse('not_compliance', 'only a compliance officer places or releases a legal hold');
      if (state.stage === 'erased') refuse('case_closed', 'the personal data is already erased');
      // Too late to hold: the erasure has begun and will finish (a hold is checked before it starts).
      if (hold && erasing) refuse('case_closed', 'the personal data is being erased');
      if (hold && state.legalHold) refuse('already_on_hold', 'the case is already under legal hold');
      if (!hold && !state.legalHold) refuse('not_on_hold', 'the case is not under legal hold');
    },
  );

  setHandler(stateQuery, () => state);

  // ---------------------------------------------------------------- the stages
  async function awaitConsent(): Promise<void> {
    if (input.consentAtIntake && !input.resumeFrom && !state.consent.credit_assessment.granted) {
      // The submitter named in the sealed start input is the actor of the grant's audit row.
      await recordGrant(input.consentAtIntake.noticeVersion, input.consentAtIntake.purposes, input.submittedBy, submitterOf(input.submittedBy));
    }
    if (!state.consent.credit_assessment.granted) {
      if (!state.deadline) setDeadline('consent', policy.consent.waitHours * HOUR);
      if (!stillAsProjectedAtIntake()) await commit();
      let granted = await waitFor(() => state.consent.credit_assessment.granted, Date.parse(state.deadline!.dueAt));
      if (!granted && grantsInFlight > 0) {
        // Accepted in time: what it grants decides.
        await waitFor(() => grantsInFlight === 0);
        granted = state.consent.credit_assessment.granted;
      }
      if (!granted) {
        consentLapsed = true;
        state.closeReason = 'consent_timeout';
        await erase('consent_timeout');
        return;
      }
      // The grant's handler finishes first, so its completion and the pre-screen keep one order in the history.
      await condition(() => allHandlersFinished() || coreWithdrawn);
      if (coreWithdrawn) throw new CaseWithdrawn();
    }
    setDeadline(null);
    state.stage = 'prescreening';
    await commit();
  }

  async function prescreen(): Promise<void> {
    const result = await activities.prescreenLead({ caseId: state.caseId, eventId: nextEventId('prescreen'), at: now().toISOString() });
    if (coreWithdrawn) throw new CaseWithdrawn();
    state.tier = result.tier;
    state.rulesFired = result.rulesFired.map((r) => r.code);
    state.requiredDocuments = result.requiredDocuments;
    if (result.tier === 'C') {
      close('declined', 'prescreen_declined');
    } else if (result.tier === 'B') {
      state.stage = 'manual_review';
      setDeadline('review', policy.review.manualReviewHours * HOUR);
    } else {
      state.stage = 'matching';
    }
    await commit();
    if (state.stage === 'manual_review') await requestReview('review_requested');
  }

  async function requestReview(kind: 'review_requested' | 'human_review_requested'): Promise<void> {
    await localWrites.notify({
      eventId: nextEventId(kind), kind, caseId: state.caseId, recipientRole: 'risk_officer', recipientId: null,
      payload: { caseId: state.caseId, tier: state.tier, rules: state.rulesFired, dueAt: state.deadline?.dueAt ?? null },
    });
  }

  async function manualReview(): Promise<void> {
    while (reviewDecision === null) {
      const due = state.deadline && !state.deadline.escalated ? Date.parse(state.deadline.dueAt) : undefined;
      const decided = await waitFor(() => reviewDecision !== null, due);
      if (!decided && reviewInFlight && due !== undefined && reviewAcceptedAt <= due) {
        // Decided in time and still being written: that decision moves the case on.
        await waitFor(() => !reviewInFlight);
        continue;
      }
      if (!decided && state.deadline) {
        // Past the review deadline: tell the managers, and keep waiting for the decision.
        state.deadline.escalated = true;
        state.reviewEscalated = true;
        await commit();
        await localWrites.notify({
          eventId: nextEventId('review_overdue'), kind: 'review_overdue', caseId: state.caseId, recipientRole: 'manager', recipientId: null,
          payload: { caseId: state.caseId, tier: state.tier, dueAt: state.deadline.dueAt },
        });
      }
    }
    const decision = reviewDecision;
    reviewDecision = null;
    state.humanReviewRequested = false;
    if (decision === 'approve') {
      state.stage = 'matching';
      setDeadline(null);
    } else {
      close('declined', 'review_declined');
    }
    await commit();
  }

  async function matchAndAssign(): Promise<void> {
    const { matches } = await activities.matchLead({ caseId: state.caseId, eventId: nextEventId('match'), tier: state.tier!, at: now().toISOString() });
    if (coreWithdrawn) throw new CaseWithdrawn();
    state.matches = matches;
    if (matches.length === 0) {
      close('closed', 'no_eligible_product');
      await commit();
      return;
    }
    const { brokerId } = await activities.assignBroker({ caseId: state.caseId, eventId: nextEventId('assign'), excludeBrokerIds: excluded() });
    state.stage = 'follow_up';
    await handOver(brokerId, 'assigned by rule');
  }

  async function followUp(): Promise<void> {
    if (state.stage === 'follow_up' && !state.deadline) setDeadline(state.contactAttempts === 0 ? 'first_contact' : 'follow_up', firstContactMs());
    while (inFollowUp()) {
      if (withDepartedBroker()) {
        const { brokerId } = await activities.assignBroker({ caseId: state.caseId, eventId: nextEventId('assign'), excludeBrokerIds: excluded() });
        await handOver(brokerId, 'previous broker left');
        continue;
      }
      const d = state.deadline;
      if (!d) {
        await waitFor(() => !inFollowUp() || withDepartedBroker() || state.deadline !== null);
        continue;
      }
      const mark = nextMark(d);
      const version = deadlineVersion;
      const changed = await waitFor(() => !inFollowUp() || withDepartedBroker() || deadlineVersion !== version, mark.at);
      if (!changed) await onDeadlineMark(d, mark.kind);
      if (workflowInfo().continueAsNewSuggested) return;
    }
  }

  function nextMark(d: Deadline): { kind: 'remind' | 'escalate' | 'reassign'; at: number } {
    const start = Date.parse(d.startedAt);
    const span = Date.parse(d.dueAt) - start;
    const calendar = d.workingMs !== undefined ? workingCalendarFor(d.kind) : null;
    // A fraction of working time is reached in working time too: the reminder of a deadline given
    // at 17:00 comes the next morning, not at midnight.
    const at = (fraction: number) => (calendar ? afterWorkingTime(start, d.workingMs! * fraction, calendar) : start + span * fraction);
    const f = policy.followUp;
    if (!d.reminded) return { kind: 'remind', at: at(f.reminderAt) };
    if (!d.escalated) return { kind: 'escalate', at: at(f.escalateAt) };
    return { kind: 'reassign', at: at(f.reassignAt) };
  }

  async function onDeadlineMark(d: Deadline, kind: 'remind' | 'escalate' | 'reassign'): Promise<void> {
    const payload = { caseId: state.caseId, deadline: d.kind, dueAt: d.dueAt, brokerId: state.brokerId, tier: state.tier };
    if (kind === 'remind') {
      d.reminded = true;
      if (state.brokerId) {
        await localWrites.notify({
          eventId: nextEventId('remind'), kind: d.kind === 'first_contact' ? 'first_contact_reminder' : 'follow_up_reminder',
          caseId: state.caseId, recipientRole: 'broker', recipientId: state.brokerId, payload,
        });
      }
      await commit();
    } else if (kind === 'escalate') {
      d.escalated = true;
      await localWrites.notify({
        eventId: nextEventId('breach'), kind: 'sla_breached', caseId: state.caseId, recipientRole: 'manager', recipientId: null, payload,
      });
      await commit();
    } else {
      // From here until the new broker is set, the old broker's actions and a manager's reassignment are refused.
      reassigning = true;
      try {
        const { brokerId } = await activities.assignBroker({
          caseId: state.caseId, eventId: nextEventId('assign'), excludeBrokerIds: [...excluded(), ...(state.brokerId ? [state.brokerId] : [])],
        });
        await localWrites.notify({
          eventId: nextEventId('reassigned'), kind: 'case_reassigned', caseId: state.caseId, recipientRole: 'manager', recipientId: null,
          payload: { ...payload, newBrokerId: brokerId },
        });
        await handOver(brokerId, `${d.kind} deadline passed twice over`, () => (reassigning = false));
      } finally {
        reassigning = false;
      }
    }
  }

  async function retention(): Promise<'erased' | 'reopened'> {
    while (true) {
      if (state.legalHold) {
        await waitFor(() => state.legalHold === null);
        continue;
      }
      const due = Date.parse(state.retentionDueAt!);
      let interrupted = await waitFor(() => state.legalHold !== null || state.humanReviewRequested, due);
      if (!interrupted && humanReviewsInFlight > 0) {
        // Asked for in time: the request, once written, reopens the case.
        await waitFor(() => humanReviewsInFlight === 0);
        interrupted = state.humanReviewRequested || state.legalHold !== null;
      }
      if (state.humanReviewRequested && state.stage === 'declined') {
        state.stage = 'manual_review';
        state.closedAt = null;
        state.retentionDueAt = null;
        state.closeReason = null;
        setDeadline('review', policy.review.manualReviewHours * HOUR);
        await commit();
        await requestReview('human_review_requested');
        return 'reopened';
      }
      if (!interrupted) {
        await erase('retention_expired');
        return 'erased';
      }
    }
  }

  // ---------------------------------------------------------------- the lifecycle
  // A run continued as new starts with no details of its own (its search attributes carry over).
  if (projectedAtIntake || input.resumeFrom) publishDetails();
  else publishVisibility();
  const resumedIntoRetention = input.resumeFrom !== undefined && !isOpenStage(input.resumeFrom.stage);
  for (;;) {
    try {
      await lifecycle();
      break;
    } catch (err) {
      const type = terminalFailureType(err);
      if (type === null) throw err;
      if (await closeOnTerminalFailure(type)) break;
    }
  }
  await condition(allHandlersFinished);
  return { caseId: state.caseId, stage: state.stage, closeReason: state.closeReason, erasedAt: state.erasedAt };

  /**
   * After an activity failed for good (a fact missing, a row gone): the case closes with the reason
   * and a retention date, and the retention wait erases it as usual. True when there is nothing left
   * to do: the erasure itself found no case, so there is no personal data to erase.
   */
  async function closeOnTerminalFailure(type: string): Promise<boolean> {
    log.warn('an activity failed for good; the case closes', { caseId: state.caseId, stage: state.stage, type });
    // Erased already: only the projection of it failed.
    if (state.stage === 'erased') return true;
    if (erasing) {
      if (type !== 'case_not_found') throw ApplicationFailure.create({ type, message: `the erasure failed for good: ${type}`, nonRetryable: true });
      state.stage = 'erased';
      state.closeReason = state.closeReason ?? `system_error:${type}`;
      state.erasedAt = now().toISOString();
      setDeadline(null);
      publishDetails();
      return true;
    }
    // A human review asked for before the failure has nothing left to reopen.
    state.humanReviewRequested = false;
    // A closed case keeps its reason and its retention date: a later failure must not extend it.
    if (isOpenStage(state.stage)) {
      close('closed', `system_error:${type}`);
      // Without consent to assess credit the data may not wait out a retention period: it goes now.
      if (!state.consent.credit_assessment.granted) state.retentionDueAt = now().toISOString();
    }
    await commitUnlessGone();
    return false;
  }

  /** Commits; a row that cannot take it (gone, or never there) does not stop what follows: the erasure. */
  async function commitUnlessGone(): Promise<void> {
    try {
      await commit();
    } catch (err) {
      const type = terminalFailureType(err);
      if (type === null) throw err;
      log.warn('the case could not be projected', { caseId: state.caseId, type });
    }
  }

  /** The stages, from wherever this run begins to the erasure; a core withdrawal ends any of them. */
  async function lifecycle(): Promise<void> {
    try {
      while (state.stage !== 'erased') {
        if (coreWithdrawn) throw new CaseWithdrawn();
        switch (state.stage) {
          case 'awaiting_consent':
            await awaitConsent();
            break;
          case 'prescreening':
            await prescreen();
            break;
          case 'manual_review':
            await manualReview();
            break;
          case 'matching':
            await matchAndAssign();
            break;
          case 'follow_up':
          case 'submitted':
            await followUp();
            break;
          case 'closed':
          case 'declined':
          case 'withdrawn':
            // A long wait begins: start it on a fresh history, carrying only the state.
            if (!resumedIntoRetention) await carryOn();
            await retention();
            break;
        }
        // Not while an Update waits for this loop to move the case on (a review for the matching).
        if (workflowInfo().continueAsNewSuggested && allHandlersFinished()) await carryOn();
      }
    } catch (err) {
      if (!(err instanceof CaseWithdrawn)) throw err;
      state.stage = 'withdrawn';
      state.closeReason = 'consent_withdrawn';
      state.closedAt = now().toISOString();
      setDeadline(null);
      await commitUnlessGone();
      await erase('consent_withdrawn');
    }
  }

  /**
   * Continues as new once no handler is running. A handler that waits for this loop does not hold
   * it: a core withdrawal is erased at once, and a human review reopens the case first.
   */
  async function carryOn(): Promise<void> {
    await condition(() => allHandlersFinished() || coreWithdrawn || state.humanReviewRequested);
    if (coreWithdrawn) throw new CaseWithdrawn();
    if (!allHandlersFinished()) return;
    return continueAsNew<typeof leadCase>({
      ...input, consentAtIntake: undefined, projectedAtIntake: undefined, resumeFrom: state,
      resumeMessages: { answers: [...answers], nonces: [...nonces] },
    });
  }
}

/**
 * The type of an activity failure that no retry will mend (a non-retryable ApplicationFailure), as a
 * close-reason code; null for anything else.
 */
function terminalFailureType(err: unknown): string | null {
  if (!(err instanceof ActivityFailure)) return null;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || !cause.nonRetryable) return null;
  // A run that does not own the case's workflow ID (./run-chain.ts) has no case to close: it fails.
  if (cause.type === NOT_THE_CASE_RUN) return null;
  // Only a code goes into the case's state: an unexpected type could carry anything.
  return /^[a-z0-9_]{1,64}$/.test(cause.type ?? '') ? cause.type! : 'unknown';
}

/**
 * Why a start is not the service's, or null: an input the worker's codec refused, one meant for
 * another case's workflow, or a run resumed from a state that no continue-as-new handed over.
 */
function startProblem(input: LeadCaseInput): string | null {
  if (isRefusedPayload(input)) return 'the input was not sealed by the service';
  const info = workflowInfo();
  if (typeof input?.caseId !== 'string') return 'the input is not a case';
  // A replay (of a saved history, or after a cache eviction) runs under another ID: what was decided live stands.
  if (!info.unsafe.isReplaying && info.workflowId !== leadWorkflowId(input.caseId)) return 'the input belongs to another workflow';
  if (input.resumeFrom && !info.continuedFromExecutionRunId) return 'a resumed state comes only from a continue-as-new';
  return null;
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

/** `role:sub` of the intake's submitter as an actor (none for anything else). */
function submitterOf(submittedBy: string): VerifiedActor | undefined {
  const at = submittedBy.indexOf(':');
  return at > 0 ? { role: submittedBy.slice(0, at), sub: submittedBy.slice(at + 1) } : undefined;
}
