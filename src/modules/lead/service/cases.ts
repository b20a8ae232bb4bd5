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
import { leadWorkflowId } from '../../../platform/temporal/names';
import type { UpdateResult } from '../messages';
import { findCasePage, type CaseFilter, type CaseRow } from '../repository/cases';
import type { Sealed } from '../../../platform/workflow/verified';
import {
  ACTION_ANSWER_MS,
  actionTimedOut,
  isUpdateTimeout,
  verifiedUpdate,
  withDeadline,
} from '../../../platform/temporal/calls';
import { loadIdentity } from './identity';
import { assertMayRead, loadCaseRow } from './read-access';

// Routes reach the case's free text through the service, never the repository.
export { attachContactNote, attachDecisionReason } from '../repository/cases';

export interface CaseDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
}

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
  const filters: CaseFilter[] = [];
  if (actor.role === 'broker') filters.push({ column: 'broker_id', value: actor.sub });
  if (actor.role === 'channel') filters.push({ column: 'channel_id', value: actor.channelId });
  if (q.stage) filters.push({ column: 'stage', value: q.stage });
  if (q.tier) filters.push({ column: 'risk_tier', value: q.tier });
  if (q.brokerId) filters.push({ column: 'broker_id', value: q.brokerId });
  if (q.channelId) filters.push({ column: 'channel_id', value: q.channelId });
  const rows = await findCasePage(deps.db, {
    filters,
    breached: q.breached,
    after: q.cursor ? decodeCursor(q.cursor) : undefined,
    // One more than a page: its presence says there is a next page.
    limit: q.limit + 1,
  });
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
