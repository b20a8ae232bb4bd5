import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { appendAudit } from '../../../platform/audit/log';
import type { UpdateResult } from '../messages';
import { holdEventKey } from '../activities/case';
import { attachHoldReason } from '../repository/cases';
import {
  findHoldEvents,
  holdEventRecorded,
  insertHoldEventUnlessErased,
  lockCaseHold,
  setCaseHold,
} from '../repository/legal-holds';
import type { CaseDeps } from './cases';
import { loadCaseRow } from './read-access';

/**
 * Records a legal hold placed or released, with its reason, and audits it by the event's ID: the
 * reason may name the person, so it stays out of the audit chain (kept for ever) and is cleared
 * when the case is erased. `requestKey` (the Update ID of a request sent with an Idempotency-Key)
 * makes a retried request record its event once.
 */
export async function recordLegalHold(
  deps: Pick<CaseDeps, 'db'>,
  actor: Actor,
  caseId: string,
  hold: boolean,
  reason: string,
  requestKey?: string,
  recordedByWorkflow?: UpdateResult,
): Promise<void> {
  // The case's workflow wrote the event and its audit row with the hold itself: only the reason is left to attach.
  if (recordedByWorkflow) {
    await attachHoldReason(deps.db, caseId, holdEventKey(recordedByWorkflow.eventId), reason);
    return;
  }
  await deps.db.transaction(async (m) => {
    const eventId = await insertHoldEventUnlessErased(m, {
      caseId,
      hold,
      reason,
      actor: `${actor.role}:${actor.sub}`,
      requestKey: requestKey ?? null,
    });
    if (!eventId) return; // recorded by the first attempt of this request
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: hold ? 'legal_hold.placed' : 'legal_hold.released',
      targetType: 'lead_case',
      targetId: caseId,
      details: { holdEventId: eventId },
    });
  });
}

/**
 * A legal hold on a case whose workflow has ended without erasing it (failed, terminated, timed out),
 * so no Update can reach it: its personal data waits for the retention sweep, which honours the hold
 * on the case's row. The row, the event and its audit row change in one transaction; a retried
 * request (same `requestKey`) records nothing twice.
 */
export async function holdEndedCase(
  deps: Pick<CaseDeps, 'db'>,
  actor: Actor,
  caseId: string,
  hold: boolean,
  reason: string,
  requestKey?: string,
): Promise<void> {
  await deps.db.transaction(async (m) => {
    const row = await lockCaseHold(m, caseId);
    if (!row) throw new DomainError('case_not_found', `case ${caseId} was not found`);
    if (row.erased_at) throw new DomainError('case_closed', 'the case has been erased: there is nothing left to hold');
    if (requestKey && (await holdEventRecorded(m, requestKey))) return;
    if (hold && row.legal_hold) throw new DomainError('already_on_hold', 'the case is already under legal hold');
    if (!hold && !row.legal_hold) throw new DomainError('not_on_hold', 'the case is not under legal hold');
    const eventId = await setCaseHold(m, {
      caseId,
      hold,
      reason,
      actor: `${actor.role}:${actor.sub}`,
      requestKey: requestKey ?? null,
    });
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: hold ? 'legal_hold.placed' : 'legal_hold.released',
      targetType: 'lead_case',
      targetId: caseId,
      details: { holdEventId: eventId, workflow: 'ended' },
    });
  });
}

/** The case's legal holds, placed and released, oldest first, with their reasons (null once erased). The read is audited. */
export async function listLegalHolds(deps: Pick<CaseDeps, 'db'>, actor: Actor, caseId: string) {
  const row = await loadCaseRow(deps.db, caseId);
  const events = await findHoldEvents(deps.db, caseId);
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'legal_hold.viewed',
    targetType: 'lead_case',
    targetId: caseId,
    details: { events: events.length },
  });
  return {
    caseId,
    onHold: row.legal_hold === true,
    reasonsErased: row.erased_at !== null,
    events: events.map((e) => ({
      id: e.id,
      action: e.hold ? 'placed' : 'released',
      reason: e.reason,
      by: e.actor,
      at: e.at,
    })),
  };
}
