/**
 * How every concern of the case changes it: commit a new state (projection, search attributes,
 * details), set or clear its deadline, close it, and wait in a way a core withdrawal interrupts.
 */
import { condition, log, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { CaseProjectionInput } from '../activities/contract';
import { retentionDueAt } from '../rules/retention';
import type { Deadline, DeadlineKind } from '../messages';
import { deadlineTimerSummary } from '../rules/case-text';
import { deadlineFrom, type OnClockInstead } from './deadlines';
import { CaseWithdrawn, type CaseRun } from './state';
import { caseDetails, consentStateOf, projectionOf, searchAttributesOf } from './visibility';
import { localWrites, terminalFailureType } from './writes';

/** The case summary in the Web UI (no history event). */
export function publishDetails(run: CaseRun): void {
  setCurrentDetails(caseDetails(run.state, Boolean(run.input.resumeFrom), run.policy.display, Date.now()));
}

export function publishVisibility(run: CaseRun): void {
  upsertSearchAttributes(searchAttributesOf(run.state));
  publishDetails(run);
}

/** The next projection of the case: bumps its sequence and publishes search attributes and details. */
export function nextProjection(run: CaseRun): CaseProjectionInput {
  run.state.consentState = consentStateOf(run.state, run.coreWithdrawn);
  run.state.seq++;
  publishVisibility(run);
  return projectionOf(run.state, run.now());
}

/** Publishes a state change: search attributes, details, and the Postgres projection (with `extra` written in the same statement). */
export async function commit(run: CaseRun, extra: Pick<CaseProjectionInput, 'holdEvent'> = {}): Promise<void> {
  await localWrites.projectCase({ ...nextProjection(run), ...extra });
}

/** Commits; a row that cannot take it (gone, or never there) does not stop what follows: the erasure. */
export async function commitUnlessGone(run: CaseRun): Promise<void> {
  try {
    await commit(run);
  } catch (err) {
    const type = terminalFailureType(err);
    if (type === null) throw err;
    log.warn('the case could not be projected', { caseId: run.state.caseId, type });
  }
}

/** Replaces the case's deadline (none for `null`), starting now. */
export function setDeadline(run: CaseRun, kind: DeadlineKind | null, durationMs = 0): void {
  run.deadlineVersion++;
  run.state.deadline =
    kind === null ? null : deadlineFrom(kind, Date.now(), durationMs, run.policy, onClockInstead(run));
}

/** Logs a deadline the working calendar could not hold. */
export function onClockInstead(run: CaseRun): OnClockInstead {
  return (error) =>
    log.warn('the working calendar cannot hold this deadline; it runs on the clock', {
      caseId: run.state.caseId,
      error,
    });
}

/** The summary of a deadline's timer, in the case's language: "首次联系期限（30 分钟）：提醒经纪人". */
export function deadlineSummary(run: CaseRun, d: Deadline, mark: string): string {
  const span = d.workingMs ?? Date.parse(d.dueAt) - Date.parse(d.startedAt);
  return deadlineTimerSummary(d.kind, span, mark, run.policy.display.locale);
}

/** Closes the case; its retention period starts now. */
export function close(run: CaseRun, stage: 'closed' | 'declined', reason: string): void {
  const { state } = run;
  state.stage = stage;
  state.closeReason = reason;
  state.closedAt = run.now().toISOString();
  setDeadline(run, null);
  state.retentionDueAt = retentionDueAt(
    { closedAt: run.now(), converted: state.outcome === 'approved' },
    run.policy,
  ).toISOString();
}

/**
 * Waits for `until` or the time `dueAtMs`; a withdrawal of core consent interrupts any wait. The
 * timer's `summary` is what the event history shows for it.
 */
export async function waitFor(
  run: CaseRun,
  until: () => boolean,
  dueAtMs?: number,
  summary?: string,
): Promise<boolean> {
  const stop = () => until() || run.coreWithdrawn;
  const met =
    dueAtMs === undefined
      ? (await condition(stop), true)
      : await condition(stop, Math.max(1, dueAtMs - Date.now()), { summary });
  if (run.coreWithdrawn) throw new CaseWithdrawn();
  return met;
}
