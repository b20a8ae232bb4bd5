import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../domain/actor';
import type { ComplaintFilingRequest, ComplaintListQuery } from '../api/complaint-schemas';
import { DomainError } from '../domain/errors';
import { commitOutcome } from './commit-outcome';
import { ACTION_ANSWER_MS, TEMPORAL_CALL_MS, actionTimedOut, isUpdateTimeout, verifiedUpdate, withDeadline } from './temporal-calls';
import type { Sealed } from '../workflows/verified';
import type { Config } from '../config';
import { appendAudit } from '../db/audit';
import {
  complaintDeadlines,
  decideComplaintPriority,
  defaultAboutContact,
  OPEN_COMPLAINT_STATES,
  requiresDoNotContact,
} from '../domain/complaint-rules';
import type { Role } from '../domain/types';
import {
  newComplaintDataKey,
  openComplaintValue,
  sealComplaintValue,
  unwrapCaseDataKey,
  unwrapComplaintDataKey,
} from '../infra/complaint-crypto';
import { keyringFrom } from '../infra/crypto';
import { complaintWorkflowId } from '../temporal/complaint-names';
import { BrokerIdKey, ChannelIdKey, ComplaintPriorityKey, ComplaintStateKey, SlaDueAtKey } from '../temporal/search-attributes';
import {
  complaintOpenedUpdate,
  type ComplaintCaseInput,
  type ComplaintCaseState,
  type ComplaintFacts,
  type ComplaintUpdateResult,
} from '../workflows/complaint-messages';
import { assertMayRead, loadCaseRow } from './cases';

export interface ComplaintDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
}

/** What is sealed at filing: the complaint's own words and how to reach the customer. */
interface FilingText {
  description: string;
  customer: { name?: string; phone?: string } | null;
}

const ringOf = (cfg: Config) => keyringFrom(cfg.MASTER_KEY_ID, cfg.MASTER_KEY, cfg.MASTER_OLD_KEYS);
const OPEN_STATES = OPEN_COMPLAINT_STATES as string[];
/** Roles that may read a complaint's text (description, customer contact, notes); each read is audited. */
const TEXT_READERS: Role[] = ['compliance', 'manager', 'broker'];

// ---------------------------------------------------------------- filing
/**
 * Files a complaint. The story: check the caller may act for the case; let the rules set the
 * priority and decide on do-not-contact; seal the text under the case's data key (or a key of the
 * complaint's own); store the complaint and start its workflow in one transaction, so a Temporal
 * outage leaves nothing half-made; then wait for the workflow's opening steps, so a harassment
 * complaint answers only once the case refuses contact.
 */
export async function fileComplaint(deps: ComplaintDeps, actor: Actor, req: ComplaintFilingRequest, idempotency?: { scope: string; key: string }) {
  const { cfg, db } = deps;
  const theCase = req.caseId ? await loadCaseRow(db, req.caseId) : null;
  if (theCase) assertMayRead(actor, theCase);

  const [{ n: openOnCase }] = theCase
    ? await db.query('SELECT count(*)::int AS n FROM complaints WHERE case_id = $1 AND state = ANY($2)', [theCase.id, OPEN_STATES])
    : [{ n: 0 }];
  const priority = decideComplaintPriority({
    category: req.category, requested: req.priority, vulnerableCustomer: theCase?.vulnerable === true, openComplaintsOnCase: openOnCase,
  });
  const aboutContact = req.aboutContact ?? defaultAboutContact(req.category);
  const complaintId = randomUUID();
  const workflowId = complaintWorkflowId(complaintId);
  const filedAt = new Date();
  const due = complaintDeadlines(priority.priority, filedAt, cfg.policy);
  const filedBy = `${actor.role}:${actor.sub}`;
  const facts: ComplaintFacts = {
    complaintId,
    caseId: theCase?.id ?? null,
    channelId: theCase?.channel_id ?? (actor.role === 'channel' ? actor.channelId ?? null : null),
    brokerId: (theCase?.broker_id as string | null | undefined) ?? null,
    category: req.category,
    priority: priority.priority,
    priorityRaisedBy: priority.raisedBy,
    doNotContact: requiresDoNotContact({ category: req.category, aboutContact, hasCase: theCase !== null }),
    keyScope: 'case',
  };
  const text: FilingText = { description: req.description, customer: req.customer ?? null };

  try {
    await db.transaction(async (m) => {
      const key = await keyForNewComplaint(m, cfg, complaintId, facts.caseId);
      facts.keyScope = key.scope;
      await m.query(
        `INSERT INTO complaints (id, workflow_id, case_id, channel_id, broker_id, category, requested_priority, priority, priority_raised_by,
           about_contact, do_not_contact, state, filed_by, filed_at, key_scope, sealed, first_response_due_at, resolution_due_at, next_due_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'awaiting_response',$12,$13,$14,$15,$16,$17,$16)`,
        [
          complaintId, workflowId, facts.caseId, facts.channelId, facts.brokerId, req.category, req.priority, priority.priority, priority.raisedBy,
          aboutContact, facts.doNotContact ? 'requested' : 'not_needed', filedBy, filedAt, key.scope,
          sealComplaintValue(complaintId, 'filing', text, key.dataKey), due.firstResponseDueAt, due.resolutionDueAt,
        ],
      );
      if (key.wrapped) {
        await m.query('INSERT INTO complaint_data_keys (complaint_id, master_key_id, wrapped_key) VALUES ($1,$2,$3)', [complaintId, key.wrapped.masterKeyId, key.wrapped.wrappedKey]);
      }
      await m.query(
        `INSERT INTO complaint_events (event_id, complaint_id, kind, actor, at, details) VALUES ($1,$2,'filed',$3,$4,$5)`,
        [`${complaintId}:0:filed`, complaintId, filedBy, filedAt, JSON.stringify({ category: req.category, requestedPriority: req.priority, priority: priority.priority, raisedBy: priority.raisedBy })],
      );
      // Started inside the transaction: if Temporal refuses, the rows roll back and the caller can retry.
      await startComplaintWorkflow(deps, { facts, filedBy, filedAt: filedAt.toISOString(), policy: cfg.policy });
      await appendAudit(m, {
        actorSub: actor.sub, actorRole: actor.role, action: 'complaint.filed', targetType: 'complaint', targetId: complaintId,
        details: { caseId: facts.caseId, category: req.category, priority: priority.priority, raisedBy: priority.raisedBy, doNotContact: facts.doNotContact, keyScope: facts.keyScope },
      });
      // The answer to a repeat of this request commits with the complaint: if this process dies
      // before answering (it waits for the workflow's opening steps), a repeat gets the complaint,
      // and a key left unanswered means nothing was filed (see TAKEOVER_SAFE in api/idempotency.ts).
      if (idempotency) {
        await m.query('UPDATE idempotency_keys SET status_code = 201, response = $3 WHERE scope = $1 AND key = $2 AND status_code = 0', [
          idempotency.scope, idempotency.key, JSON.stringify(viewOf(await loadComplaintRow(m, complaintId))),
        ]);
      }
    });
  } catch (err) {
    const outcome = await commitOutcome(db, 'complaints', complaintId);
    // The connection died after COMMIT: the complaint is filed, and its workflow carries it.
    if (outcome !== 'committed') {
      // The rows rolled back: a workflow this filing started must not outlive them. When the
      // database cannot say, the workflow stays: its first write waits for the row and ends it
      // with complaint_never_committed if the row never comes.
      if (outcome === 'rolled_back') {
        await withDeadline(deps.temporal, TEMPORAL_CALL_MS, () => deps.temporal.workflow.getHandle(workflowId).terminate('filing transaction rolled back')).catch(() => undefined);
      }
      throw err;
    }
  }

  try {
    const { state } = await deps.temporal.connection.withDeadline(Date.now() + 10_000, () =>
      deps.temporal.workflow.getHandle(workflowId).executeUpdate(complaintOpenedUpdate),
    );
    return stateView(state);
  } catch {
    // Filed and durable all the same: its workflow carries on. Answer from what was stored.
    return viewOf(await loadComplaintRow(db, complaintId));
  }
}

/** The case's data key while the case still has one; otherwise a new key for this complaint alone. */
async function keyForNewComplaint(m: EntityManager, cfg: Config, complaintId: string, caseId: string | null) {
  const ring = ringOf(cfg);
  if (caseId) {
    const [row] = await m.query('SELECT master_key_id, wrapped_key FROM lead_data_keys WHERE case_id = $1', [caseId]);
    if (row) return { scope: 'case' as const, dataKey: unwrapCaseDataKey(caseId, row.wrapped_key, row.master_key_id, ring), wrapped: null };
  }
  const own = newComplaintDataKey(complaintId, ring);
  return { scope: 'complaint' as const, dataKey: own.dataKey, wrapped: own };
}

async function startComplaintWorkflow(deps: ComplaintDeps, input: ComplaintCaseInput): Promise<void> {
  const f = input.facts;
  try {
    // Bounded: the caller is waiting, and the open transaction holds its rows' locks.
    await deps.temporal.connection.withDeadline(Date.now() + 5_000, () => deps.temporal.workflow.start('complaintCase', {
      workflowId: complaintWorkflowId(f.complaintId),
      taskQueue: deps.cfg.TEMPORAL_TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: ComplaintStateKey, value: 'awaiting_response' },
        { key: ComplaintPriorityKey, value: f.priority },
        { key: SlaDueAtKey, value: complaintDeadlines(f.priority, new Date(input.filedAt), input.policy).firstResponseDueAt },
        ...(f.channelId ? [{ key: ChannelIdKey, value: f.channelId }] : []),
        ...(f.brokerId ? [{ key: BrokerIdKey, value: f.brokerId }] : []),
      ],
      staticSummary: `Complaint · ${f.category} · ${f.priority} priority · ${f.caseId ? `case ${f.caseId}` : 'no case'}`,
      staticDetails: [
        `Filed by ${input.filedBy.split(':')[0]}${f.channelId ? ` for channel ${f.channelId}` : ''}${f.brokerId ? `, case broker ${f.brokerId}` : ''}.`,
        f.priorityRaisedBy.length ? `Priority raised by ${f.priorityRaisedBy.join(', ')}.` : 'Priority as requested.',
        f.doNotContact ? 'Harassment about contact: the case goes on do-not-contact.' : '',
        `Text sealed under ${f.keyScope === 'case' ? "the case's data key" : 'a key of its own'}.`,
      ].filter(Boolean).join(' '),
    }));
  } catch {
    throw new DomainError('temporal_unavailable', 'the workflow engine is unreachable; nothing was stored, retry later', { retryable: true });
  }
}

// ---------------------------------------------------------------- reading
const COMPLAINT_COLUMNS = `c.id, c.workflow_id, c.case_id, c.channel_id, c.broker_id, c.category, c.requested_priority, c.priority, c.priority_raised_by,
  c.about_contact, c.do_not_contact, c.state, c.filed_by, c.filed_at, c.key_scope, c.first_response_due_at, c.first_responded_at,
  c.late_first_response, c.resolution_due_at, c.late_resolution, c.next_due_at, c.escalated_teams, c.escalated_at, c.times_reopened,
  c.resolution, c.satisfaction, c.closed_at, c.retention_due_at, c.erased_at, c.legal_hold,
  lc.broker_id AS case_broker_id, lc.submitted_by AS case_submitted_by`;

type ComplaintRow = Record<string, unknown> & {
  id: string;
  case_id: string | null;
  channel_id: string | null;
  filed_by: string;
  filed_at: Date;
  key_scope: 'case' | 'complaint';
  case_broker_id: string | null;
  case_submitted_by: string | null;
};

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : (v as string | null) ?? null);

function viewOf(r: ComplaintRow) {
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
    firstResponse: { dueAt: iso(r.first_response_due_at)!, at: iso(r.first_responded_at), late: r.late_first_response as boolean },
    resolution: {
      dueAt: iso(r.resolution_due_at)!, late: r.late_resolution as boolean, outcome: r.resolution, satisfaction: r.satisfaction, closedAt: iso(r.closed_at),
    },
    escalatedTo: r.escalated_teams ? { teams: r.escalated_teams, at: iso(r.escalated_at) } : null,
    timesReopened: r.times_reopened as number,
    retentionDueAt: iso(r.retention_due_at),
    legalHold: r.legal_hold as boolean,
    erasedAt: iso(r.erased_at),
  };
}

/** The complaint as its workflow holds it, in the same shape as a stored complaint. */
function stateView(s: ComplaintCaseState) {
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
    resolution: { dueAt: s.resolutionDueAt, late: s.lateResolution, outcome: s.resolution, satisfaction: s.satisfaction, closedAt: s.closedAt },
    escalatedTo: s.escalatedTo,
    timesReopened: s.timesReopened,
    retentionDueAt: s.retentionDueAt,
    legalHold: (s.legalHold ?? null) !== null,
    erasedAt: s.erasedAt,
  };
}

async function loadComplaintRow(db: Pick<DataSource, 'query'>, complaintId: string): Promise<ComplaintRow> {
  const [row] = await db.query(`SELECT ${COMPLAINT_COLUMNS} FROM complaints c LEFT JOIN lead_cases lc ON lc.id = c.case_id WHERE c.id = $1`, [complaintId]);
  if (!row) throw new DomainError('complaint_not_found', `complaint ${complaintId} was not found`);
  return row;
}

/**
 * Who may see a complaint: compliance and managers all of them; a broker those about his own cases
 * (assigned to him or submitted by him) and those he filed without a case; a channel its channel's.
 */
function assertMaySee(actor: Actor, r: ComplaintRow): void {
  if (actor.role === 'broker') {
    const own = r.case_id ? r.case_broker_id === actor.sub || r.case_submitted_by === `broker:${actor.sub}` : r.filed_by === `broker:${actor.sub}`;
    if (!own) throw new DomainError('not_your_case', 'brokers see only the complaints about their own cases');
  }
  if (actor.role === 'channel' && r.channel_id !== actor.channelId) throw new DomainError('not_your_channel', "a channel sees only its own channel's complaints");
}

/** A complaint the caller may see, or the refusal. */
export async function complaintFor(deps: Pick<ComplaintDeps, 'db'>, actor: Actor, complaintId: string): Promise<ComplaintRow> {
  const row = await loadComplaintRow(deps.db, complaintId);
  assertMaySee(actor, row);
  return row;
}

/** The data key that opens a complaint's text, or null once it is gone (the case or the complaint erased). */
async function dataKeyOf(deps: Pick<ComplaintDeps, 'db' | 'cfg'>, r: Pick<ComplaintRow, 'id' | 'case_id' | 'key_scope'>): Promise<Buffer | null> {
  const ring = ringOf(deps.cfg);
  if (r.key_scope === 'case') {
    const [k] = await deps.db.query('SELECT master_key_id, wrapped_key FROM lead_data_keys WHERE case_id = $1', [r.case_id]);
    return k ? unwrapCaseDataKey(r.case_id!, k.wrapped_key, k.master_key_id, ring) : null;
  }
  const [k] = await deps.db.query('SELECT master_key_id, wrapped_key FROM complaint_data_keys WHERE complaint_id = $1', [r.id]);
  return k ? unwrapComplaintDataKey(r.id, k.wrapped_key, k.master_key_id, ring) : null;
}

/** One complaint. Compliance, managers and the case's broker also get its text; each such read is audited. */
export async function getComplaint(deps: Pick<ComplaintDeps, 'db' | 'cfg'>, actor: Actor, complaintId: string) {
  const row = await complaintFor(deps, actor, complaintId);
  const events: { event_id: string; kind: string; actor: string; at: Date; details: Record<string, unknown>; note_sealed: Buffer | null }[] = await deps.db.query(
    'SELECT event_id, kind, actor, at, details, note_sealed FROM complaint_events WHERE complaint_id = $1 ORDER BY id',
    [complaintId],
  );
  const view = { ...viewOf(row), events: events.map((e) => ({ kind: e.kind, actor: e.actor, at: e.at.toISOString(), details: e.details })) };
  if (!TEXT_READERS.includes(actor.role)) return view;

  const [{ sealed }] = await deps.db.query('SELECT sealed FROM complaints WHERE id = $1', [complaintId]);
  const key = sealed ? await dataKeyOf(deps, row) : null;
  const text = key ? openComplaintValue<FilingText>(complaintId, 'filing', sealed, key) : null;
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub, actorRole: actor.role, action: 'complaint.viewed', targetType: 'complaint', targetId: complaintId,
    details: { fields: text ? ['description', 'customer', 'notes'] : [], textErased: text === null },
  });
  return {
    ...view,
    description: text?.description ?? null,
    customer: text?.customer ?? null,
    textErased: text === null,
    events: events.map((e) => ({
      kind: e.kind, actor: e.actor, at: e.at.toISOString(), details: e.details,
      note: key && e.note_sealed ? openComplaintValue<string>(complaintId, `event:${e.event_id}`, e.note_sealed, key) : null,
    })),
  };
}

/** Newest first, keyset-paginated on (filed_at, id); brokers and channels are fenced to their own. */
export async function listComplaints(deps: Pick<ComplaintDeps, 'db'>, actor: Actor, q: ComplaintListQuery) {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (actor.role === 'broker') {
    const sub = param(actor.sub);
    where.push(`(CASE WHEN c.case_id IS NULL THEN c.filed_by = 'broker:' || ${sub} ELSE (lc.broker_id = ${sub} OR lc.submitted_by = 'broker:' || ${sub}) END)`);
  }
  if (actor.role === 'channel') where.push(`c.channel_id = ${param(actor.channelId)}`);
  if (q.state) where.push(`c.state = ${param(q.state)}`);
  if (q.priority) where.push(`c.priority = ${param(q.priority)}`);
  if (q.category) where.push(`c.category = ${param(q.category)}`);
  if (q.caseId) where.push(`c.case_id = ${param(q.caseId)}`);
  if (q.overdue !== undefined) {
    const overdue = `(c.state = ANY(${param(OPEN_STATES)}) AND c.next_due_at < now())`;
    where.push(q.overdue ? overdue : `NOT ${overdue}`);
  }
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor);
    where.push(`(c.filed_at, c.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
  }
  const rows: ComplaintRow[] = await deps.db.query(
    `SELECT ${COMPLAINT_COLUMNS} FROM complaints c LEFT JOIN lead_cases lc ON lc.id = c.case_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.filed_at DESC, c.id DESC LIMIT ${param(q.limit + 1)}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { items: page.map(viewOf), nextCursor: rows.length > q.limit && last ? encodeCursor(last.filed_at, last.id) : null };
}

const encodeCursor = (at: Date, id: string) => Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof at !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error();
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
  action: { update: UpdateDefinition<ComplaintUpdateResult, [Sealed<A>]>; arg: A; audit: string; details: Record<string, unknown>; note?: string; updateId?: string },
) {
  // A note is personal data: it is kept only if it can be sealed, so refuse before acting when the key is gone.
  const key = action.note ? await dataKeyOf(deps, row) : null;
  if (action.note && !key) throw new DomainError('complaint_text_erased', "the complaint's personal data is erased; act without a note");
  let result: ComplaintUpdateResult;
  try {
    result = await withDeadline(deps.temporal, ACTION_ANSWER_MS, () =>
      deps.temporal.workflow.getHandle(complaintWorkflowId(row.id)).executeUpdate(
        action.update, verifiedUpdate(complaintWorkflowId(row.id), action.update.name, actor, action.arg, action.updateId),
      ),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw new DomainError(err.cause.type ?? 'refused', err.cause.message);
    }
    if (err instanceof WorkflowNotFoundError) throw new DomainError('complaint_closed', 'the complaint is closed: its workflow no longer takes actions');
    if (isUpdateTimeout(err)) throw actionTimedOut('complaint');
    if ((err as Error).name === 'ServiceError' || (err as { code?: number }).code === 14) {
      throw new DomainError('temporal_unavailable', 'the workflow engine is unreachable; retry later', { retryable: true });
    }
    throw err;
  }
  if (action.note && key) {
    await deps.db.query('UPDATE complaint_events SET note_sealed = $2 WHERE event_id = $1', [
      result.eventId, sealComplaintValue(row.id, `event:${result.eventId}`, action.note, key),
    ]);
  }
  const reopened = result.eventId.endsWith(':reopened');
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub, actorRole: actor.role, action: reopened ? 'complaint.reopened' : action.audit, targetType: 'complaint', targetId: row.id,
    details: { ...action.details, eventId: result.eventId, state: result.state.state },
  });
  return stateView(result.state);
}
