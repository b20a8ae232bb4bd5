import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import type { Config } from '../../../platform/config';
import { appendAudit } from '../../../platform/audit/log';
import { maskIdNumber, maskName, maskPhone } from '../../../platform/domain/masking';
import type { Role } from '../../../platform/domain/types';
import { keyringFrom, openForCase } from '../../../platform/crypto';
import { leadWorkflowId } from '../../../platform/temporal/names';
import type { UpdateResult } from '../messages';
import { holdEventKey } from '../activities/case';
import type { StoredIdentity } from './intake';
import type { Sealed } from '../../../platform/workflow/verified';
import {
  ACTION_ANSWER_MS,
  actionTimedOut,
  isUpdateTimeout,
  verifiedUpdate,
  withDeadline,
} from '../../../platform/temporal/calls';

export interface CaseDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
}

const CASE_COLUMNS = `id, workflow_id, channel_id, channel_grade, stage, is_open, risk_tier, broker_id, consent_state, vulnerable, is_local,
  amount_cny, term_months, loan_purpose, occupation, age_band, province_code, region_prefix, sla_due_at, sla_kind, do_not_contact,
  selected_product_id, outcome, closed_at, retention_due_at, legal_hold, erased_at, submitted_by, created_at, updated_at`;

type CaseRow = Record<string, unknown> & {
  id: string;
  broker_id: string | null;
  channel_id: string;
  submitted_by: string;
  erased_at: Date | null;
};

function toView(r: CaseRow) {
  return {
    caseId: r.id,
    workflowId: r.workflow_id,
    channelId: r.channel_id,
    channelGrade: r.channel_grade,
    stage: r.stage,
    open: r.is_open,
    riskTier: r.risk_tier,
    brokerId: r.broker_id,
    consentState: r.consent_state,
    vulnerable: r.vulnerable,
    local: r.is_local,
    request: { amount: r.amount_cny, termMonths: r.term_months, purpose: r.loan_purpose },
    ageBand: r.age_band,
    occupation: r.occupation,
    provinceCode: r.province_code,
    sla: r.sla_due_at
      ? { kind: r.sla_kind, dueAt: (r.sla_due_at as Date).toISOString(), breached: (r.sla_due_at as Date) < new Date() }
      : null,
    doNotContact: r.do_not_contact,
    selectedProductId: r.selected_product_id,
    outcome: r.outcome,
    closedAt: r.closed_at,
    retentionDueAt: r.retention_due_at,
    legalHold: r.legal_hold,
    erasedAt: r.erased_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Who may see a case at all: everyone but brokers (their own cases only) and channels (their channel's). */
/** Why `actor` may not read the case, or null when it may. */
type ReadFacts = Pick<CaseRow, 'broker_id' | 'channel_id' | 'submitted_by'> & { stage?: unknown };
/** Stages a case reaches only once a broker has been assigned: from then on, being its submitter no longer lets a broker read it. */
const ASSIGNED_STAGES: unknown[] = ['follow_up', 'submitted'];
function readRefusal(actor: Actor, row: ReadFacts): DomainError | null {
  // The broker who submitted a case reads it until a broker is assigned (by rule, a manager, a
  // deadline or an offboarding); after that only the assigned broker does.
  const submitterStillReads =
    row.submitted_by === `broker:${actor.sub}` && row.broker_id === null && !ASSIGNED_STAGES.includes(row.stage);
  if (actor.role === 'broker' && row.broker_id !== actor.sub && !submitterStillReads) {
    return new DomainError(
      'not_your_case',
      'brokers see only the cases assigned to them, or that they submitted until a broker is assigned',
    );
  }
  if (actor.role === 'channel' && row.channel_id !== actor.channelId)
    return new DomainError('not_your_channel', "a channel sees only its own channel's cases");
  return null;
}

export const mayRead = (actor: Actor, row: ReadFacts): boolean => readRefusal(actor, row) === null;

export function assertMayRead(actor: Actor, row: CaseRow): void {
  const refusal = readRefusal(actor, row);
  if (refusal) throw refusal;
}

export async function loadCaseRow(db: DataSource, caseId: string): Promise<CaseRow> {
  const [row] = await db.query(`SELECT ${CASE_COLUMNS} FROM lead_cases WHERE id = $1`, [caseId]);
  if (!row) throw new DomainError('case_not_found', `case ${caseId} was not found`);
  return row;
}

export async function loadIdentity(deps: Pick<CaseDeps, 'db' | 'cfg'>, caseId: string): Promise<StoredIdentity | null> {
  const [row] = await deps.db.query(
    'SELECT i.sealed, k.wrapped_key, k.master_key_id FROM identities i JOIN lead_data_keys k ON k.case_id = i.case_id WHERE i.case_id = $1',
    [caseId],
  );
  if (!row) return null;
  return openForCase<StoredIdentity>(
    caseId,
    row.sealed,
    row.wrapped_key,
    row.master_key_id,
    keyringFrom(deps.cfg.MASTER_KEY_ID, deps.cfg.MASTER_KEY, deps.cfg.MASTER_OLD_KEYS),
  );
}

/** One case as the caller's role may see it: personal data always masked here. */
export async function getCase(deps: CaseDeps, actor: Actor, caseId: string) {
  const row = await loadCaseRow(deps.db, caseId);
  assertMayRead(actor, row);
  const identity = row.erased_at ? null : await loadIdentity(deps, caseId);
  return {
    ...toView(row),
    applicant: identity
      ? {
          name: maskName(identity.name),
          idNumber: maskIdNumber(identity.idNumber),
          phone: maskPhone(identity.phone),
          residenceRegion: identity.residenceRegion,
        }
      : null,
  };
}

export interface ListQuery {
  stage?: string;
  tier?: string;
  brokerId?: string;
  channelId?: string;
  breached?: boolean;
  limit: number;
  cursor?: string;
}

/** Newest first, keyset-paginated on (created_at, id); brokers and channels are fenced to their own. */
export async function listCases(deps: CaseDeps, actor: Actor, q: ListQuery) {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (actor.role === 'broker') add('broker_id = ?', actor.sub);
  if (actor.role === 'channel') add('channel_id = ?', actor.channelId);
  if (q.stage) add('stage = ?', q.stage);
  if (q.tier) add('risk_tier = ?', q.tier);
  if (q.brokerId) add('broker_id = ?', q.brokerId);
  if (q.channelId) add('channel_id = ?', q.channelId);
  if (q.breached !== undefined)
    where.push(
      q.breached ? 'is_open AND sla_due_at < now()' : 'NOT (is_open AND sla_due_at IS NOT NULL AND sla_due_at < now())',
    );
  if (q.cursor) {
    const [at, id] = decodeCursor(q.cursor);
    params.push(at, id);
    where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
  }
  params.push(q.limit + 1);
  const rows: CaseRow[] = await deps.db.query(
    `SELECT ${CASE_COLUMNS} FROM lead_cases ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toView),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at as Date, last.id) : null,
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

const UNMASK_ROLES: Role[] = ['broker', 'risk_officer', 'manager', 'compliance'];

/** The unmasked identity, for roles allowed to see it; every call is written to the audit trail. */
export async function getPii(deps: CaseDeps, actor: Actor, caseId: string, purpose: string) {
  if (!UNMASK_ROLES.includes(actor.role))
    throw new DomainError('unmask_forbidden', `role ${actor.role} may not see unmasked personal data`);
  const row = await loadCaseRow(deps.db, caseId);
  assertMayRead(actor, row);
  const identity = row.erased_at ? null : await loadIdentity(deps, caseId);
  if (!identity) throw new DomainError('erased', 'the personal data of this case has been erased');
  const fields = ['name', 'idNumber', 'phone', 'residenceRegion'];
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'pii.unmasked',
    targetType: 'lead_case',
    targetId: caseId,
    details: { purpose, fields },
  });
  return {
    caseId,
    purpose,
    applicant: {
      name: identity.name,
      idNumber: identity.idNumber,
      phone: identity.phone,
      residenceRegion: identity.residenceRegion,
    },
  };
}

/**
 * Sends one action to the case's workflow as an Update, with its verified sender (the actor, bound
 * to the case, the Update and its ID: see src/platform/workflow/verified.ts), so the caller gets the new state or the
 * refusal (with the workflow's stable code) in the same response.
 */
export async function actOnCase<A extends object>(
  deps: CaseDeps,
  caseId: string,
  update: UpdateDefinition<UpdateResult, [Sealed<A>]>,
  fields: A,
  actor: Actor,
  updateId?: string,
): Promise<UpdateResult> {
  const workflowId = leadWorkflowId(caseId);
  try {
    return await withDeadline(deps.temporal, ACTION_ANSWER_MS, () =>
      deps.temporal.workflow
        .getHandle(workflowId)
        .executeUpdate(update, verifiedUpdate(workflowId, update.name, actor, fields, updateId)),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw new DomainError(err.cause.type ?? 'refused', err.cause.message);
    }
    if (err instanceof WorkflowNotFoundError)
      throw new DomainError('case_finished', 'the case has finished: its workflow no longer takes actions');
    if (isUpdateTimeout(err)) throw actionTimedOut('case');
    if ((err as Error).name === 'ServiceError' || (err as { code?: number }).code === 14) {
      throw new DomainError('temporal_unavailable', 'the workflow engine is unreachable; retry later', {
        retryable: true,
      });
    }
    throw err;
  }
}

/** Every write through the API leaves an audit row. */
export async function auditAction(
  deps: Pick<CaseDeps, 'db'>,
  actor: Actor,
  action: string,
  caseId: string,
  details: Record<string, unknown> = {},
) {
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action,
    targetType: 'lead_case',
    targetId: caseId,
    details,
  });
}

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
    await attachCaseText(
      deps.db,
      caseId,
      'UPDATE legal_hold_events SET reason = $3 WHERE request_key = $2 AND case_id = $1',
      [holdEventKey(recordedByWorkflow.eventId), reason],
    );
    return;
  }
  await deps.db.transaction(async (m) => {
    // A release lets the workflow erase at once, maybe before this runs. The case row's share lock
    // orders this insert and the erasure (which locks the row for update): a reason that arrives
    // after the erasure is not stored, one stored before it is cleared by it.
    const [row] = await m.query(
      `WITH c AS (SELECT erased_at FROM lead_cases WHERE id = $1 FOR SHARE)
       INSERT INTO legal_hold_events (case_id, hold, reason, actor, request_key)
       SELECT $1, $2, CASE WHEN c.erased_at IS NULL THEN $3 END, $4, $5 FROM c
       ON CONFLICT (request_key) DO NOTHING RETURNING id`,
      [caseId, hold, reason, `${actor.role}:${actor.sub}`, requestKey ?? null],
    );
    if (!row) return; // recorded by the first attempt of this request
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: hold ? 'legal_hold.placed' : 'legal_hold.released',
      targetType: 'lead_case',
      targetId: caseId,
      details: { holdEventId: String(row.id) },
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
    const [row] = await m.query('SELECT legal_hold, erased_at FROM lead_cases WHERE id = $1 FOR UPDATE', [caseId]);
    if (!row) throw new DomainError('case_not_found', `case ${caseId} was not found`);
    if (row.erased_at) throw new DomainError('case_closed', 'the case has been erased: there is nothing left to hold');
    if (
      requestKey &&
      (await m.query('SELECT 1 FROM legal_hold_events WHERE request_key = $1', [requestKey])).length > 0
    )
      return;
    if (hold && row.legal_hold) throw new DomainError('already_on_hold', 'the case is already under legal hold');
    if (!hold && !row.legal_hold) throw new DomainError('not_on_hold', 'the case is not under legal hold');
    await m.query('UPDATE lead_cases SET legal_hold = $2, updated_at = now() WHERE id = $1', [caseId, hold]);
    const [event] = await m.query(
      'INSERT INTO legal_hold_events (case_id, hold, reason, actor, request_key) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [caseId, hold, reason, `${actor.role}:${actor.sub}`, requestKey ?? null],
    );
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: hold ? 'legal_hold.placed' : 'legal_hold.released',
      targetType: 'lead_case',
      targetId: caseId,
      details: { holdEventId: String(event.id), workflow: 'ended' },
    });
  });
}

/** The case's legal holds, placed and released, oldest first, with their reasons (null once erased). The read is audited. */
export async function listLegalHolds(deps: Pick<CaseDeps, 'db'>, actor: Actor, caseId: string) {
  const row = await loadCaseRow(deps.db, caseId);
  const events: { id: string; hold: boolean; reason: string | null; actor: string; at: Date }[] = await deps.db.query(
    'SELECT id::text AS id, hold, reason, actor, at FROM legal_hold_events WHERE case_id = $1 ORDER BY legal_hold_events.id',
    [caseId],
  );
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

/**
 * Free text a person typed (a contact note, a review reason) goes beside the record its workflow
 * made, in Postgres, after the Update has answered. The case row's share lock orders that write
 * against an erasure, which locks the row for update: text written first is cleared by the erasure,
 * text that comes after it is not stored. Returns whether it was stored.
 */
async function attachCaseText(db: DataSource, caseId: string, update: string, params: unknown[]): Promise<boolean> {
  const [{ n }] = await db.query(
    `WITH live AS (SELECT 1 FROM lead_cases WHERE id = $1 AND erased_at IS NULL FOR SHARE),
          done AS (${update} AND EXISTS (SELECT 1 FROM live) RETURNING 1)
     SELECT count(*)::int AS n FROM done`,
    [caseId, ...params],
  );
  return n > 0;
}

/** The broker's note on a contact attempt the workflow logged. */
export const attachContactNote = (db: DataSource, caseId: string, eventId: string, note: string) =>
  attachCaseText(db, caseId, 'UPDATE contact_log SET note = $3 WHERE event_id = $2', [eventId, note]);

/** The free-text reason of a decision the workflow recorded (a review, a request for human review). */
export const attachDecisionReason = (db: DataSource, caseId: string, eventId: string, reason: string) =>
  attachCaseText(
    db,
    caseId,
    `UPDATE decisions SET result = result || jsonb_build_object('reason', $3::text) WHERE event_id = $2`,
    [eventId, reason],
  );
