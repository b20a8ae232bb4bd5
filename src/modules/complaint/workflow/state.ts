import type { Policy } from '../../../platform/config/policy';
import { complaintDeadlines } from '../rules';
import type { ComplaintCaseInput, ComplaintCaseState, ComplaintFacts } from '../messages';

/** One complaint's run: what its query answers, and the flags its handlers and its loops share. */
export interface ComplaintRun {
  readonly id: string;
  readonly facts: ComplaintFacts;
  /** The policy in force at filing: the complaint's deadlines follow it to the end. */
  readonly policy: Policy;
  /** What the state query answers and every Update returns. */
  readonly complaint: ComplaintCaseState;
  /** The opening steps that cannot wait (do-not-contact) are done: `awaitOpening` may answer. */
  opened: boolean;
  /** Bumped by every action, so the deadline loop plans its next timer again. */
  version: number;
  /** A first response, an escalation or a close is being recorded (see `oneAtATime` in ./checks). */
  acting: boolean;
  /** When that action began (workflow time): it decides whether a mark firing meanwhile was met. */
  actingSince: number;
  /** The erasure of the description has started: from then on a legal hold comes too late. */
  erasing: boolean;
}

export function startRun(input: ComplaintCaseInput): ComplaintRun {
  return {
    id: input.facts.complaintId,
    facts: input.facts,
    policy: input.policy,
    complaint: initialComplaintState(input),
    opened: false,
    version: 0,
    acting: false,
    actingSince: 0,
    erasing: false,
  };
}

/** Both clocks run from filing, with nothing yet reminded or escalated. */
export function initialComplaintState(input: ComplaintCaseInput): ComplaintCaseState {
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
    firstResponseClock: {
      startedAt: filedAt,
      dueAt: firstResponseDueAt,
      reminded: false,
      escalated: false,
      ...(due.firstResponseWorkingMs !== undefined ? { workingMs: due.firstResponseWorkingMs } : {}),
    },
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

export const isClosed = (complaint: ComplaintCaseState): boolean =>
  complaint.state === 'closed' || complaint.state === 'erased';

/** A key for one write: the same step retried gets the same ID, so the write happens once. */
export const nextEventId = (run: ComplaintRun, kind: string): string => `${run.id}:${++run.complaint.seq}:${kind}`;

/** The workflow's clock now (deterministic in workflow code). */
export const now = (): Date => new Date(Date.now());
