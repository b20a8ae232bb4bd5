import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import type { ComplaintActivities, ComplaintEventInput, ComplaintNotificationInput } from '../activities/complaint-contract';
import {
  afterSatisfaction,
  complaintDeadlines,
  nextComplaintMark,
  resolutionDueFrom,
  type ComplaintMarkKind,
} from '../domain/complaint-rules';
import { complaintWorkflowId } from '../temporal/complaint-names';
import { leadWorkflowId } from '../temporal/names';
import { BrokerIdKey, ChannelIdKey, ComplaintPriorityKey, ComplaintStateKey, SlaDueAtKey } from '../temporal/search-attributes';
import {
  closeComplaintUpdate,
  complaintLegalHoldUpdate,
  complaintOpenedUpdate,
  complaintStateQuery,
  escalateToGroupUpdate,
  firstResponseUpdate,
  type ComplaintCaseInput,
  type ComplaintCaseState,
  type ComplaintUpdateResult,
} from './complaint-messages';
import { doNotContactSignal } from './messages';
import { actorLabel, actorOf, actorSeal, isRefusedPayload, sealProblem, type VerifiedActor } from './verified';
import { verifiedActivities } from './verified-activities';

// Each activity is one or two queries: a short timeout lets a crashed worker's task move on quickly.
const activities = verifiedActivities<ComplaintActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const DAY = 86_400_000;

/** Refusals reach the API as update failures with a stable type, which becomes the problem `code`. */
const refuse = (code: string, message: string): never => {
  throw ApplicationFailure.create({ type: code, message, nonRetryable: true });
};

export interface ComplaintCaseResult {
  complaintId: string;
  state: ComplaintCaseState['state'];
  closedAt: string | null;
  erasedAt: string | null;
}

/**
 * One complaint, from filing to close (and, for a complaint with its own key, to the erasure of
 * its description). Two clocks run from filing: the first response (2 h / 24 h / 72 h by priority)
 * and the resolution (15 days). At the policy's reminder fraction the handler is reminded; when a
 * clock runs out compliance is told. People act through Updates; the timers never stop waiting.
 */
export async function complaintCase(input: ComplaintCaseInput): Promise<ComplaintCaseResult> {
  const info = workflowInfo();
  if (
    isRefusedPayload(input) || typeof input?.facts?.complaintId !== 'string' ||
    // A replay (of a saved history, or after a cache eviction) runs under another ID: what was decided live stands.
    (!info.unsafe.isReplaying && info.workflowId !== complaintWorkflowId(input.facts.complaintId))
  ) {
    // Not the service's start: nothing is written or published.
    log.warn('a start of complaintCase was refused: its input was not sealed by the service for this workflow');
    return { complaintId: '', state: 'awaiting_response', closedAt: null, erasedAt: null };
  }
  const { facts, policy } = input;
  const state = initialComplaintState(input);
  const id = facts.complaintId;
  let opened = false;
  /** Bumped by every action, so the deadline loop plans its next timer again. */
  let version = 0;
  /** Set as the erasure of the description starts: from then on a legal hold comes too late. */
  let erasing = false;
  /**
   * Set while a first response, an escalation or a close is being recorded: each checks the state,
   * writes its event and only then changes the state, so two at once could both pass their checks
   * (a close and an escalation, or two closes) and leave the complaint half one, half the other.
   */
  let acting = false;
  /** When the action being recorded began (workflow time): it decides whether a mark firing meanwhile was met. */
  let actingSince = 0;
  const oneAtATime = async <T>(act: () => Promise<T>): Promise<T> => {
    acting = true;
    actingSince = Date.now();
    try {
      return await act();
    } finally {
      acting = false;
    }
  };
  const notWhileActing = () => {
    if (acting) refuse('action_in_progress', 'another action on this complaint is being recorded; try again in a moment');
  };

  const now = () => new Date(Date.now());
  const nextEventId = (kind: string) => `${id}:${++state.seq}:${kind}`;

  /**
   * The validator of a person's Update refuses one without a verified sender for this complaint,
   * this Update and this Update ID (./verified). A complaint never continues as new, and Temporal
   * answers a repeated Update ID within a run itself.
   */
  const verifiedBy = <A>(def: UpdateDefinition<ComplaintUpdateResult, [A], string>, arg: A): VerifiedActor => {
    const problem = sealProblem(arg, { workflowId: complaintWorkflowId(id), message: def.name, nonce: currentUpdateInfo()?.id ?? '' });
    if (problem) refuse('unverified_message', problem);
    return actorOf(arg)!;
  };
  /** Who acted, as `role:sub`; histories from before verified senders named them in `by`. */
  const byOf = (arg: unknown): string => {
    const actor = actorOf(arg);
    return actor ? actorLabel(actor) : (arg as { by?: string }).by ?? 'unknown';
  };
  const isClosed = () => state.state === 'closed' || state.state === 'erased';

  // ---------------------------------------------------------------- visibility and projection
  const nextDueAt = (): string | null => {
    if (isClosed()) return null;
    return state.firstRespondedAt ? state.resolutionDueAt : state.firstResponseDueAt;
  };

  function waitingFor(): string {
    const due = nextDueAt();
    const handler = facts.brokerId ? `broker ${facts.brokerId} or compliance` : 'compliance';
    switch (state.state) {
      case 'awaiting_response':
        return `a first response by ${handler} (due ${due})`;
      case 'in_progress':
        return `a resolution and the customer's satisfaction result (due ${due})`;
      case 'escalated':
        return `the cross-team group (${state.escalatedTo?.teams.join(', ')}) to resolve it (due ${due})`;
      case 'closed':
        if (state.legalHold && state.retentionDueAt) return `the release of its legal hold (placed ${state.legalHold.placedAt}); retention then runs on, and its description is erased`;
        return state.retentionDueAt ? `the end of retention on ${state.retentionDueAt}, then erasure of its description` : 'nothing: closed';
      default:
        return 'nothing: description erased';
    }
  }

  function publishVisibility(): void {
    const due = nextDueAt();
    upsertSearchAttributes([
      { key: ComplaintStateKey, value: state.state },
      { key: ComplaintPriorityKey, value: facts.priority },
      { key: SlaDueAtKey, value: due ? new Date(due) : null },
      { key: ChannelIdKey, value: facts.channelId },
      { key: BrokerIdKey, value: facts.brokerId },
    ]);
    const late = [state.lateFirstResponse && 'first response late', state.lateResolution && 'resolution late'].filter(Boolean).join(', ');
    setCurrentDetails(
      [
        `**State:** ${state.state}${state.satisfaction ? ` (${state.resolution}, customer ${state.satisfaction})` : ''}${late ? ` · **Late:** ${late}` : ''}`,
        `**Waiting for:** ${waitingFor()}`,
        `**Priority:** ${facts.priority}${facts.priorityRaisedBy.length ? ` (raised by ${facts.priorityRaisedBy.join(', ')})` : ''} · **Category:** ${facts.category} · **Reopened:** ${state.timesReopened}`,
        `**Case:** ${facts.caseId ?? 'none'} · **Channel:** ${facts.channelId ?? 'none'} · **Broker:** ${facts.brokerId ?? 'none'} · **Do-not-contact:** ${state.doNotContact}`,
        ...(state.legalHold ? [`**Legal hold:** since ${state.legalHold.placedAt}, by ${state.legalHold.by}`] : []),
      ].join('\n'),
    );
  }

  /** Publishes a state change: search attributes, details, and the Postgres projection. */
  async function commit(): Promise<void> {
    state.seq++;
    publishVisibility();
    await activities.projectComplaint({
      complaintId: id,
      seq: state.seq,
      projection: {
        state: state.state,
        firstResponseDueAt: state.firstResponseDueAt,
        firstRespondedAt: state.firstRespondedAt,
        lateFirstResponse: state.lateFirstResponse,
        resolutionDueAt: state.resolutionDueAt,
        lateResolution: state.lateResolution,
        nextDueAt: nextDueAt(),
        escalatedTeams: state.escalatedTo?.teams ?? null,
        escalatedAt: state.escalatedTo?.at ?? null,
        timesReopened: state.timesReopened,
        doNotContact: state.doNotContact,
        resolution: state.resolution,
        satisfaction: state.satisfaction,
        closedAt: state.closedAt,
        retentionDueAt: state.retentionDueAt,
        legalHold: state.legalHold !== null,
      },
    });
  }

  async function record(kind: ComplaintEventInput['kind'], actor: string, details: Record<string, unknown> = {}): Promise<string> {
    const eventId = nextEventId(kind);
    await activities.recordComplaintEvent({ complaintId: id, eventId, kind, actor, at: now().toISOString(), details });
    return eventId;
  }

  async function notify(kind: ComplaintNotificationInput['kind'], to: Pick<ComplaintNotificationInput, 'recipientRole' | 'recipientId'>, extra: Record<string, unknown> = {}) {
    await activities.notifyAboutComplaint({
      eventId: nextEventId(`notify_${kind}`), kind, complaintId: id, caseId: facts.caseId, ...to,
      payload: { complaintId: id, caseId: facts.caseId, category: facts.category, priority: facts.priority, state: state.state, dueAt: nextDueAt(), ...extra },
    });
  }
  const COMPLIANCE = { recipientRole: 'compliance', recipientId: null } as const;

  // ---------------------------------------------------------------- people acting on it
  setHandler(complaintOpenedUpdate, async (): Promise<ComplaintUpdateResult> => {
    await condition(() => opened);
    return { eventId: `${id}:opened`, state };
  });

  setHandler(
    firstResponseUpdate,
    async (arg): Promise<ComplaintUpdateResult> => oneAtATime(async () => {
      const { via } = arg;
      const by = byOf(arg);
      const at = now();
      const late = at.getTime() > Date.parse(state.firstResponseDueAt);
      const eventId = await record('first_response', by, { via, late });
      state.firstRespondedAt = at.toISOString();
      state.firstResponseClock = null;
      if (late) state.lateFirstResponse = true;
      state.state = 'in_progress';
      version++;
      await commit();
      return { eventId, state };
    }),
    {
      validator: (arg) => {
        verifiedBy(firstResponseUpdate, arg);
        if (isClosed()) refuse('complaint_closed', `the complaint is ${state.state}`);
        notWhileActing();
        if (state.firstRespondedAt) refuse('already_responded', 'the complaint already has its first response');
      },
    },
  );

  setHandler(
    escalateToGroupUpdate,
    async (arg): Promise<ComplaintUpdateResult> => oneAtATime(async () => {
      const { teams } = arg;
      const eventId = await record('escalated_to_group', byOf(arg), { teams });
      state.escalatedTo = { teams, at: now().toISOString() };
      state.state = 'escalated';
      version++;
      await commit();
      for (const team of teams) await notify('complaint_escalated_to_group', { recipientRole: 'team', recipientId: team }, { teams });
      return { eventId, state };
    }),
    {
      validator: (arg) => {
        verifiedBy(escalateToGroupUpdate, arg);
        const { teams } = arg;
        if (isClosed()) refuse('complaint_closed', `the complaint is ${state.state}`);
        notWhileActing();
        if (!state.firstRespondedAt) refuse('first_response_pending', 'answer the customer first; then bring in the cross-team group');
        if (state.escalatedTo) refuse('already_escalated', `the complaint is already with ${state.escalatedTo.teams.join(', ')}`);
        if (new Set(teams).size < 2) refuse('group_too_small', 'a cross-team group needs at least two different teams');
      },
    },
  );

  setHandler(
    closeComplaintUpdate,
    async (arg): Promise<ComplaintUpdateResult> => oneAtATime(async () => {
      const { resolution, satisfaction } = arg;
      const by = byOf(arg);
      const at = now();
      if (afterSatisfaction(satisfaction, state.timesReopened) === 'reopen') {
        const eventId = await record('reopened', by, { resolution, satisfaction });
        state.timesReopened++;
        state.resolution = resolution;
        state.satisfaction = satisfaction;
        state.resolutionDueAt = resolutionDueFrom(at, policy).toISOString();
        state.resolutionClock = { startedAt: at.toISOString(), dueAt: state.resolutionDueAt, reminded: false, escalated: false };
        state.state = state.escalatedTo ? 'escalated' : 'in_progress';
        version++;
        await commit();
        await notify('complaint_reopened', COMPLIANCE, { satisfaction });
        return { eventId, state };
      }
      const eventId = await record('closed', by, { resolution, satisfaction });
      if (at.getTime() > Date.parse(state.resolutionDueAt)) state.lateResolution = true;
      state.resolution = resolution;
      state.satisfaction = satisfaction;
      state.closedAt = at.toISOString();
      state.resolutionClock = null;
      state.state = 'closed';
      if (facts.keyScope === 'complaint') {
        state.retentionDueAt = new Date(at.getTime() + policy.retention.unconvertedDays * DAY).toISOString();
        // Held before it closed: retention has not started; all of it is left for after the release.
        if (state.legalHold) state.legalHold.remainingMs = policy.retention.unconvertedDays * DAY;
      }
      version++;
      await commit();
      if (satisfaction === 'dissatisfied') await notify('complaint_closed_dissatisfied', COMPLIANCE, { resolution });
      return { eventId, state };
    }),
    {
      validator: (arg) => {
        verifiedBy(closeComplaintUpdate, arg);
        if (isClosed()) refuse('complaint_closed', `the complaint is ${state.state}`);
        notWhileActing();
        if (!state.firstRespondedAt) refuse('first_response_pending', 'a complaint is closed after its first response');
      },
    },
  );

  setHandler(
    complaintLegalHoldUpdate,
    async (arg): Promise<ComplaintUpdateResult> => {
      const { hold } = arg;
      const by = byOf(arg);
      // The state changes before anything is awaited, so the retention timer cannot slip past a hold.
      const at = now();
      if (hold) {
        const retentionRunning = state.state === 'closed' && state.retentionDueAt !== null;
        state.legalHold = { placedAt: at.toISOString(), by, remainingMs: retentionRunning ? Math.max(0, Date.parse(state.retentionDueAt!) - at.getTime()) : null };
      } else {
        const remaining = state.legalHold?.remainingMs ?? null;
        if (remaining !== null) state.retentionDueAt = new Date(at.getTime() + remaining).toISOString();
        state.legalHold = null;
      }
      version++;
      const eventId = await record(hold ? 'legal_hold_placed' : 'legal_hold_released', by, hold ? {} : { retentionDueAt: state.retentionDueAt });
      await commit();
      return { eventId, state };
    },
    {
      validator: (arg) => {
        const actor = verifiedBy(complaintLegalHoldUpdate, arg);
        const { hold } = arg;
        if (actor.role !== 'compliance') refuse('not_compliance', 'only a compliance officer places or releases a legal hold');
        if (state.state === 'erased' || erasing) refuse('complaint_text_erased', 'the complaint’s description is erased; there is nothing left to hold');
        if (facts.keyScope === 'case') {
          refuse('hold_the_case', 'this complaint’s description is sealed with its case’s data key and erased with the case: put the case on legal hold');
        }
        if (hold && state.legalHold) refuse('already_on_hold', 'the complaint is already under legal hold');
        if (!hold && !state.legalHold) refuse('not_on_hold', 'the complaint is not under legal hold');
      },
    },
  );

  setHandler(complaintStateQuery, () => state);

  // ---------------------------------------------------------------- the timers
  async function onMark(kind: ComplaintMarkKind): Promise<void> {
    const fr = state.firstResponseClock;
    const res = state.resolutionClock;
    switch (kind) {
      case 'first_response_reminder':
        if (fr) fr.reminded = true;
        await notify('complaint_first_response_reminder', facts.brokerId ? { recipientRole: 'broker', recipientId: facts.brokerId } : COMPLIANCE);
        break;
      case 'first_response_late':
        if (fr) fr.escalated = true;
        state.lateFirstResponse = true;
        await record('first_response_late', 'workflow', { dueAt: state.firstResponseDueAt });
        await notify('complaint_first_response_late', COMPLIANCE);
        break;
      case 'resolution_reminder':
        if (res) res.reminded = true;
        await notify('complaint_resolution_reminder', COMPLIANCE);
        break;
      case 'resolution_late':
        if (res) res.escalated = true;
        state.lateResolution = true;
        await record('resolution_late', 'workflow', { dueAt: state.resolutionDueAt });
        await notify('complaint_resolution_late', COMPLIANCE);
        break;
    }
    await commit();
  }

  // ---------------------------------------------------------------- the lifecycle
  publishVisibility();
  if (facts.doNotContact && facts.caseId) {
    // First of all, before anything that needs the database: the customer must not be called again.
    try {
      const target = leadWorkflowId(facts.caseId);
      const auth = actorSeal(target, doNotContactSignal.name, uuid4(), { sub: `complaint:${id}`, role: 'system' }, new Date(Date.now()));
      await getExternalWorkflowHandle(target).signal(doNotContactSignal, { auth });
      state.doNotContact = 'applied';
    } catch (err) {
      // The case's workflow has ended (its data erased): there is nobody left to contact.
      log.warn('the case of a harassment complaint has no running workflow', { complaintId: id, caseId: facts.caseId, error: (err as Error).message });
      state.doNotContact = 'case_finished';
    }
  }
  opened = true;
  if (state.doNotContact !== 'not_needed') await record('do_not_contact', 'workflow', { caseId: facts.caseId, result: state.doNotContact });
  await commit();
  await notify('complaint_filed', COMPLIANCE, { priorityRaisedBy: facts.priorityRaisedBy });

  while (!isClosed()) {
    const mark = nextComplaintMark({ firstResponse: state.firstResponseClock, resolution: state.resolutionClock }, policy.followUp.reminderAt);
    const seen = version;
    if (!mark) {
      await condition(() => version !== seen);
      continue;
    }
    const acted = await condition(() => version !== seen, Math.max(1, mark.at - Date.now()));
    if (acted) continue;
    if (acting && actingSince <= mark.at) {
      // Begun in time: once it is written, the clocks it stopped or restarted decide what is still due.
      await condition(() => !acting);
      continue;
    }
    await onMark(mark.kind);
  }

  if (state.retentionDueAt) {
    // No case key covers this description: the complaint erases its own after the retention period,
    // whose clock stops while a legal hold lasts. (The wait is one timer, as the sleep before holds
    // existed was, so histories recorded then replay the same.)
    while (true) {
      if (state.legalHold) {
        await condition(() => state.legalHold === null);
        continue;
      }
      const held = await condition(() => state.legalHold !== null, Math.max(1, Date.parse(state.retentionDueAt) - Date.now()));
      if (!held) break;
    }
    erasing = true;
    const at = now().toISOString();
    await activities.eraseComplaintData({ complaintId: id, eventId: nextEventId('erase'), at });
    state.state = 'erased';
    state.erasedAt = at;
    await commit();
  }
  await condition(allHandlersFinished);
  return { complaintId: id, state: state.state, closedAt: state.closedAt, erasedAt: state.erasedAt };
}

function initialComplaintState(input: ComplaintCaseInput): ComplaintCaseState {
  const { facts, filedAt, policy } = input;
  const due = complaintDeadlines(facts.priority, new Date(filedAt), policy);
  const firstResponseDueAt = due.firstResponseDueAt.toISOString();
  const resolutionDueAt = due.resolutionDueAt.toISOString();
  return {
    complaintId: facts.complaintId,
    facts,
    state: 'awaiting_response',
    seq: 0,
    filedAt,
    firstResponseClock: { startedAt: filedAt, dueAt: firstResponseDueAt, reminded: false, escalated: false },
    firstResponseDueAt,
    firstRespondedAt: null,
    resolutionClock: { startedAt: filedAt, dueAt: resolutionDueAt, reminded: false, escalated: false },
    resolutionDueAt,
    lateFirstResponse: false,
    lateResolution: false,
    escalatedTo: null,
    timesReopened: 0,
    doNotContact: 'not_needed',
    resolution: null,
    satisfaction: null,
    closedAt: null,
    retentionDueAt: null,
    erasedAt: null,
    legalHold: null,
  };
}
