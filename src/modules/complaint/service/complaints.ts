import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { Actor } from '../../../platform/domain/actor';
import type { ComplaintListQuery } from '../schemas';
import { DomainError } from '../../../platform/domain/errors';
import {
  ACTION_ANSWER_MS,
  actionTimedOut,
  isUpdateTimeout,
  verifiedUpdate,
  withDeadline,
} from '../../../platform/temporal/calls';
import type { Sealed } from '../../../platform/workflow/verified';
import type { Config } from '../../../platform/config';
import { appendAudit } from '../../../platform/audit/log';
import { OPEN_COMPLAINT_STATES } from '../rules';
import type { Role } from '../../../platform/domain/types';
import { openComplaintValue, sealComplaintValue, unwrapCaseDataKey, unwrapComplaintDataKey } from '../crypto';
import { keyringFrom } from '../../../platform/crypto';
import { complaintWorkflowId } from '../names';
import { type ComplaintCaseState, type ComplaintUpdateResult } from '../messages';
import {
  findCaseDataKey,
  findComplaintDataKey,
  findComplaintEvents,
  findComplaintPage,
  findComplaintRow,
  findSealedFiling,
  setEventNote,
  type ComplaintFence,
  type ComplaintRow,
} from '../repository/complaints';

// Filing lives in its own module; its entry point is part of this service's surface.
export { fileComplaint } from './filing';

export interface ComplaintDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
}

/** What is sealed at filing: the complaint's own words and how to reach the customer. */
export interface FilingText {
  description: string;
  customer: { name?: string; phone?: string } | null;
}

export const ringOf = (cfg: Config) => keyringFrom(cfg.MASTER_KEY_ID, cfg.MASTER_KEY, cfg.MASTER_OLD_KEYS);
export const OPEN_STATES = OPEN_COMPLAINT_STATES as string[];
/** Roles that may read a complaint's text (description, customer contact, notes); each read is audited. */
const TEXT_READERS: Role[] = ['compliance', 'manager', 'broker'];

// ---------------------------------------------------------------- reading
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : ((v as string | null) ?? null));

export function viewOf(r: ComplaintRow) {
  const nextDueAt = iso(r.next_due_at);
  return {
    complaintId: r.id,
    workflowId: r.workflow_id as string,
    caseId: r.case_id,
    channelId: r.channel_id,
    brokerId: r.broker_id as string | null,
    category: r.category,
    requestedPriority: r.requested_priority,
    priority: r.priority,
    priorityRaisedBy: r.priority_raised_by as string[],
    aboutContact: r.about_contact,
    doNotContact: r.do_not_contact,
    state: r.state,
    filedBy: r.filed_by,
    filedAt: iso(r.filed_at)!,
    nextDueAt,
    overdue: OPEN_STATES.includes(r.state as string) && nextDueAt !== null && Date.parse(nextDueAt) < Date.now(),
    firstResponse: {
      dueAt: iso(r.first_response_due_at)!,
      at: iso(r.first_responded_at),
      late: r.late_first_response as boolean,
    },
    resolution: {
      dueAt: iso(r.resolution_due_at)!,
      late: r.late_resolution as boolean,
      outcome: r.resolution,
      satisfaction: r.satisfaction,
      closedAt: iso(r.closed_at),
    },
    escalatedTo: r.escalated_teams ? { teams: r.escalated_teams, at: iso(r.escalated_at) } : null,
    timesReopened: r.times_reopened as number,
    retentionDueAt: iso(r.retention_due_at),
    legalHold: r.legal_hold as boolean,
    erasedAt: iso(r.erased_at),
  };
}

/** The complaint as its workflow holds it, in the same shape as a stored complaint. */
export function stateView(s: ComplaintCaseState) {
  const f = s.facts;
  const closed = s.state === 'closed' || s.state === 'erased';
  const nextDueAt = closed ? null : s.firstRespondedAt ? s.resolutionDueAt : s.firstResponseDueAt;
  return {
    complaintId: s.complaintId,
    workflowId: complaintWorkflowId(s.complaintId),
    caseId: f.caseId,
    channelId: f.channelId,
    brokerId: f.brokerId,
    category: f.category,
    priority: f.priority,
    priorityRaisedBy: f.priorityRaisedBy,
    doNotContact: s.doNotContact,
    state: s.state,
    filedAt: s.filedAt,
    nextDueAt,
    overdue: nextDueAt !== null && Date.parse(nextDueAt) < Date.now(),
    firstResponse: { dueAt: s.firstResponseDueAt, at: s.firstRespondedAt, late: s.lateFirstResponse },
    resolution: {
      dueAt: s.resolutionDueAt,
      late: s.lateResolution,
      outcome: s.resolution,
      satisfaction: s.satisfaction,
      closedAt: s.closedAt,
    },
    escalatedTo: s.escalatedTo,
    timesReopened: s.timesReopened,
    retentionDueAt: s.retentionDueAt,
    legalHold: (s.legalHold ?? null) !== null,
    erasedAt: s.erasedAt,
  };
}

export async function loadComplaintRow(db: Pick<DataSource, 'query'>, complaintId: string): Promise<ComplaintRow> {
  const row = await findComplaintRow(db, complaintId);
  if (!row) throw new DomainError('complaint_not_found', `complaint ${complaintId} was not found`);
  return row;
}

/**
 * Who may see a complaint: compliance and managers all of them; a broker those about his own cases
 * (assigned to him or submitted by him) and those he filed without a case; a channel its channel's.
 */
function assertMaySee(actor: Actor, r: ComplaintRow): void {
  if (actor.role === 'broker') {
    const own = r.case_id
      ? r.case_broker_id === actor.sub || r.case_submitted_by === `broker:${actor.sub}`
      : r.filed_by === `broker:${actor.sub}`;
    if (!own) throw new DomainError('not_your_case', 'brokers see only the complaints about their own cases');
  }
  if (actor.role === 'channel' && r.channel_id !== actor.channelId)
    throw new DomainError('not_your_channel', "a channel sees only its own channel's complaints");
}

/** A complaint the caller may see, or the refusal. */
export async function complaintFor(
  deps: Pick<ComplaintDeps, 'db'>,
  actor: Actor,
  complaintId: string,
): Promise<ComplaintRow> {
  const row = await loadComplaintRow(deps.db, complaintId);
  assertMaySee(actor, row);
  return row;
}

/** The data key that opens a complaint's text, or null once it is gone (the case or the complaint erased). */
async function dataKeyOf(
  deps: Pick<ComplaintDeps, 'db' | 'cfg'>,
  r: Pick<ComplaintRow, 'id' | 'case_id' | 'key_scope'>,
): Promise<Buffer | null> {
  const ring = ringOf(deps.cfg);
  if (r.key_scope === 'case') {
    const k = await findCaseDataKey(deps.db, r.case_id);
    return k ? unwrapCaseDataKey(r.case_id!, k.wrapped_key, k.master_key_id, ring) : null;
  }
  const k = await findComplaintDataKey(deps.db, r.id);
  return k ? unwrapComplaintDataKey(r.id, k.wrapped_key, k.master_key_id, ring) : null;
}

/** One complaint. Compliance, managers and the case's broker also get its text; each such read is audited. */
export async function getComplaint(deps: Pick<ComplaintDeps, 'db' | 'cfg'>, actor: Actor, complaintId: string) {
  const row = await complaintFor(deps, actor, complaintId);
  const events = await findComplaintEvents(deps.db, complaintId);
  const view = {
    ...viewOf(row),
    events: events.map((e) => ({ kind: e.kind, actor: e.actor, at: e.at.toISOString(), details: e.details })),
  };
  if (!TEXT_READERS.includes(actor.role)) return view;

  const { sealed } = await findSealedFiling(deps.db, complaintId);
  const key = sealed ? await dataKeyOf(deps, row) : null;
  const text = key && sealed ? openComplaintValue<FilingText>(complaintId, 'filing', sealed, key) : null;
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'complaint.viewed',
    targetType: 'complaint',
    targetId: complaintId,
    details: { fields: text ? ['description', 'customer', 'notes'] : [], textErased: text === null },
  });
  return {
    ...view,
    description: text?.description ?? null,
    customer: text?.customer ?? null,
    textErased: text === null,
    events: events.map((e) => ({
      kind: e.kind,
      actor: e.actor,
      at: e.at.toISOString(),
      details: e.details,
      note:
        key && e.note_sealed
          ? openComplaintValue<string>(complaintId, `event:${e.event_id}`, e.note_sealed, key)
          : null,
    })),
  };
}

/** Newest first, keyset-paginated on (filed_at, id); brokers and channels are fenced to their own. */
export async function listComplaints(deps: Pick<ComplaintDeps, 'db'>, actor: Actor, q: ComplaintListQuery) {
  const fence: ComplaintFence =
    actor.role === 'broker' ? { broker: actor.sub } : actor.role === 'channel' ? { channelId: actor.channelId } : null;
  const rows = await findComplaintPage(deps.db, {
    ...q,
    fence,
    after: q.cursor ? decodeCursor(q.cursor) : undefined,
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(viewOf),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.filed_at, last.id) : null,
  };
}

const encodeCursor = (at: Date, id: string) =>
  Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof at !== 'string' ||
      typeof id !== 'string' ||
      Number.isNaN(Date.parse(at)) ||
      !/^[0-9a-f-]{36}$/i.test(id)
    )
      throw new Error();
    return [at, id];
  } catch {
    throw new DomainError('invalid_cursor', 'the cursor is not one this API returned');
  }
}

// ---------------------------------------------------------------- acting
/**
 * Sends one action to the complaint's workflow as an Update, attaches the sealed note to the event
 * it recorded, audits it, and answers with the complaint afterwards (or the refusal, with its code).
 */
export async function actOnComplaint<A extends object>(
  deps: ComplaintDeps,
  actor: Actor,
  row: ComplaintRow,
  action: {
    update: UpdateDefinition<ComplaintUpdateResult, [Sealed<A>]>;
    arg: A;
    audit: string;
    details: Record<string, unknown>;
    note?: string;
    updateId?: string;
  },
) {
  // A note is personal data: it is kept only if it can be sealed, so refuse before acting when the key is gone.
  const key = action.note ? await dataKeyOf(deps, row) : null;
  if (action.note && !key)
    throw new DomainError('complaint_text_erased', "the complaint's personal data is erased; act without a note");
  let result: ComplaintUpdateResult;
  try {
    result = await withDeadline(deps.temporal, ACTION_ANSWER_MS, () =>
      deps.temporal.workflow
        .getHandle(complaintWorkflowId(row.id))
        .executeUpdate(
          action.update,
          verifiedUpdate(complaintWorkflowId(row.id), action.update.name, actor, action.arg, action.updateId),
        ),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw new DomainError(err.cause.type ?? 'refused', err.cause.message);
    }
    if (err instanceof WorkflowNotFoundError)
      throw new DomainError('complaint_closed', 'the complaint is closed: its workflow no longer takes actions');
    if (isUpdateTimeout(err)) throw actionTimedOut('complaint');
    if ((err as Error).name === 'ServiceError' || (err as { code?: number }).code === 14) {
      throw new DomainError('temporal_unavailable', 'the workflow engine is unreachable; retry later', {
        retryable: true,
      });
    }
    throw err;
  }
  if (action.note && key) {
    await setEventNote(
      deps.db,
      result.eventId,
      sealComplaintValue(row.id, `event:${result.eventId}`, action.note, key),
    );
  }
  const reopened = result.eventId.endsWith(':reopened');
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: reopened ? 'complaint.reopened' : action.audit,
    targetType: 'complaint',
    targetId: row.id,
    details: { ...action.details, eventId: result.eventId, state: result.state.state },
  });
  return stateView(result.state);
}
