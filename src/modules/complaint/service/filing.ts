import { randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../../../platform/domain/actor';
import type { ComplaintFilingRequest } from '../schemas';
import { DomainError } from '../../../platform/domain/errors';
import { commitOutcome } from '../../lead/service/commit-outcome';
import { TEMPORAL_CALL_MS, withDeadline } from '../../../platform/temporal/calls';
import type { Config } from '../../../platform/config';
import { appendAudit } from '../../../platform/audit/log';
import { complaintDeadlines, decideComplaintPriority, defaultAboutContact, requiresDoNotContact } from '../rules';
import { newComplaintDataKey, sealComplaintValue, unwrapCaseDataKey } from '../crypto';
import { complaintWorkflowId } from '../names';
import {
  BrokerIdKey,
  ChannelIdKey,
  ComplaintPriorityKey,
  ComplaintStateKey,
  SlaDueAtKey,
} from '../../../platform/temporal/search-attributes';
import { complaintOpenedUpdate, type ComplaintCaseInput, type ComplaintFacts } from '../messages';
import { assertMayRead, loadCaseRow } from '../../lead/service/read-access';
import { findCaseDataKey } from '../repository/complaints';
import {
  countComplaintsOnCase,
  insertComplaintDataKey,
  insertComplaintRow,
  insertFiledEvent,
  storeIdempotentAnswer,
} from '../repository/filing';
import {
  loadComplaintRow,
  OPEN_STATES,
  ringOf,
  stateView,
  viewOf,
  type ComplaintDeps,
  type FilingText,
} from './complaints';

/**
 * Files a complaint. The story: check the caller may act for the case; let the rules set the
 * priority and decide on do-not-contact; seal the text under the case's data key (or a key of the
 * complaint's own); store the complaint and start its workflow in one transaction, so a Temporal
 * outage leaves nothing half-made; then wait for the workflow's opening steps, so a harassment
 * complaint answers only once the case refuses contact.
 */
export async function fileComplaint(
  deps: ComplaintDeps,
  actor: Actor,
  req: ComplaintFilingRequest,
  idempotency?: { scope: string; key: string },
) {
  const theCase = req.caseId ? await loadCaseRow(deps.db, req.caseId) : null;
  if (theCase) assertMayRead(actor, theCase);
  const filing = await prepareFiling(deps, actor, req, theCase);
  try {
    await deps.db.transaction((m) => storeComplaintAndStart(deps, m, actor, req, filing, idempotency));
  } catch (err) {
    await settleFailedFiling(deps, filing, err);
  }
  return openedView(deps, filing);
}

type CaseRow = NonNullable<Awaited<ReturnType<typeof loadCaseRow>>>;

/** A complaint about to be stored: its ids, the rules' decisions, its deadlines and its sealed-to-be text. */
interface Filing {
  complaintId: string;
  workflowId: string;
  filedAt: Date;
  filedBy: string;
  priority: ReturnType<typeof decideComplaintPriority>;
  aboutContact: boolean;
  due: ReturnType<typeof complaintDeadlines>;
  facts: ComplaintFacts;
  text: FilingText;
}

async function prepareFiling(
  deps: ComplaintDeps,
  actor: Actor,
  req: ComplaintFilingRequest,
  theCase: CaseRow | null,
): Promise<Filing> {
  const openOnCase = theCase ? await countComplaintsOnCase(deps.db, theCase.id, OPEN_STATES) : 0;
  const priority = decideComplaintPriority({
    category: req.category,
    requested: req.priority,
    vulnerableCustomer: theCase?.vulnerable === true,
    openComplaintsOnCase: openOnCase,
  });
  const aboutContact = req.aboutContact ?? defaultAboutContact(req.category);
  const complaintId = randomUUID();
  const filedAt = new Date();
  return {
    complaintId,
    workflowId: complaintWorkflowId(complaintId),
    filedAt,
    filedBy: `${actor.role}:${actor.sub}`,
    priority,
    aboutContact,
    due: complaintDeadlines(priority.priority, filedAt, deps.cfg.policy),
    facts: filingFacts(actor, req, theCase, complaintId, priority, aboutContact),
    text: { description: req.description, customer: req.customer ?? null },
  };
}

function filingFacts(
  actor: Actor,
  req: ComplaintFilingRequest,
  theCase: CaseRow | null,
  complaintId: string,
  priority: Filing['priority'],
  aboutContact: boolean,
): ComplaintFacts {
  return {
    complaintId,
    caseId: theCase?.id ?? null,
    channelId: theCase?.channel_id ?? (actor.role === 'channel' ? (actor.channelId ?? null) : null),
    brokerId: (theCase?.broker_id as string | null | undefined) ?? null,
    category: req.category,
    priority: priority.priority,
    priorityRaisedBy: priority.raisedBy,
    doNotContact: requiresDoNotContact({ category: req.category, aboutContact, hasCase: theCase !== null }),
    keyScope: 'case',
  };
}

/** Inside the filing's transaction: the complaint's rows, its workflow, the audit row, then the stored answer. */
async function storeComplaintAndStart(
  deps: ComplaintDeps,
  m: EntityManager,
  actor: Actor,
  req: ComplaintFilingRequest,
  filing: Filing,
  idempotency: { scope: string; key: string } | undefined,
): Promise<void> {
  const { cfg } = deps;
  const { complaintId, facts, priority } = filing;
  const key = await keyForNewComplaint(m, cfg, complaintId, facts.caseId);
  facts.keyScope = key.scope;
  await insertComplaint(m, req, filing, key);
  // Started inside the transaction: if Temporal refuses, the rows roll back and the caller can retry.
  await startComplaintWorkflow(deps, {
    facts,
    filedBy: filing.filedBy,
    filedAt: filing.filedAt.toISOString(),
    policy: cfg.policy,
  });
  await appendAudit(m, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'complaint.filed',
    targetType: 'complaint',
    targetId: complaintId,
    details: {
      caseId: facts.caseId,
      category: req.category,
      priority: priority.priority,
      raisedBy: priority.raisedBy,
      doNotContact: facts.doNotContact,
      keyScope: facts.keyScope,
    },
  });
  // The answer to a repeat of this request commits with the complaint: if this process dies
  // before answering (it waits for the workflow's opening steps), a repeat gets the complaint,
  // and a key left unanswered means nothing was filed (see TAKEOVER_SAFE in api/idempotency.ts).
  if (idempotency) {
    await storeIdempotentAnswer(m, idempotency, viewOf(await loadComplaintRow(m, complaintId)));
  }
}

/** The complaint row with its sealed text, its own data key when it has one, and the 'filed' event. */
async function insertComplaint(
  m: EntityManager,
  req: ComplaintFilingRequest,
  filing: Filing,
  key: Awaited<ReturnType<typeof keyForNewComplaint>>,
): Promise<void> {
  const { complaintId, workflowId, facts, priority, filedBy, filedAt, due } = filing;
  await insertComplaintRow(m, {
    complaintId,
    workflowId,
    caseId: facts.caseId,
    channelId: facts.channelId,
    brokerId: facts.brokerId,
    category: req.category,
    requestedPriority: req.priority,
    priority: priority.priority,
    priorityRaisedBy: priority.raisedBy,
    aboutContact: filing.aboutContact,
    doNotContact: facts.doNotContact ? 'requested' : 'not_needed',
    filedBy,
    filedAt,
    keyScope: key.scope,
    sealed: sealComplaintValue(complaintId, 'filing', filing.text, key.dataKey),
    firstResponseDueAt: due.firstResponseDueAt,
    resolutionDueAt: due.resolutionDueAt,
  });
  if (key.wrapped) {
    await insertComplaintDataKey(m, complaintId, key.wrapped.masterKeyId, key.wrapped.wrappedKey);
  }
  await insertFiledEvent(m, {
    eventId: `${complaintId}:0:filed`,
    complaintId,
    actor: filedBy,
    at: filedAt,
    details: {
      category: req.category,
      requestedPriority: req.priority,
      priority: priority.priority,
      raisedBy: priority.raisedBy,
    },
  });
}

/**
 * A filing whose transaction failed. The connection died after COMMIT: the complaint is filed, and
 * its workflow carries it. Otherwise the error stands.
 */
async function settleFailedFiling(deps: ComplaintDeps, filing: Filing, err: unknown): Promise<void> {
  const outcome = await commitOutcome(deps.db, 'complaints', filing.complaintId);
  if (outcome === 'committed') return;
  // The rows rolled back: a workflow this filing started must not outlive them. When the
  // database cannot say, the workflow stays: its first write waits for the row and ends it
  // with complaint_never_committed if the row never comes.
  if (outcome === 'rolled_back') {
    await withDeadline(deps.temporal, TEMPORAL_CALL_MS, () =>
      deps.temporal.workflow.getHandle(filing.workflowId).terminate('filing transaction rolled back'),
    ).catch(() => undefined);
  }
  throw err;
}

/** The complaint once its workflow has taken its opening steps; if it does not answer in time, as stored. */
async function openedView(deps: ComplaintDeps, filing: Filing) {
  try {
    const { state } = await deps.temporal.connection.withDeadline(Date.now() + 10_000, () =>
      deps.temporal.workflow.getHandle(filing.workflowId).executeUpdate(complaintOpenedUpdate),
    );
    return stateView(state);
  } catch {
    // Filed and durable all the same: its workflow carries on. Answer from what was stored.
    return viewOf(await loadComplaintRow(deps.db, filing.complaintId));
  }
}

/** The case's data key while the case still has one; otherwise a new key for this complaint alone. */
async function keyForNewComplaint(m: EntityManager, cfg: Config, complaintId: string, caseId: string | null) {
  const ring = ringOf(cfg);
  if (caseId) {
    const row = await findCaseDataKey(m, caseId);
    if (row)
      return {
        scope: 'case' as const,
        dataKey: unwrapCaseDataKey(caseId, row.wrapped_key, row.master_key_id, ring),
        wrapped: null,
      };
  }
  const own = newComplaintDataKey(complaintId, ring);
  return { scope: 'complaint' as const, dataKey: own.dataKey, wrapped: own };
}

async function startComplaintWorkflow(deps: ComplaintDeps, input: ComplaintCaseInput): Promise<void> {
  const f = input.facts;
  try {
    // Bounded: the caller is waiting, and the open transaction holds its rows' locks.
    await deps.temporal.connection.withDeadline(Date.now() + 5_000, () =>
      deps.temporal.workflow.start('complaintCase', {
        workflowId: complaintWorkflowId(f.complaintId),
        taskQueue: deps.cfg.TEMPORAL_TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: ComplaintStateKey, value: 'awaiting_response' },
          { key: ComplaintPriorityKey, value: f.priority },
          {
            key: SlaDueAtKey,
            value: complaintDeadlines(f.priority, new Date(input.filedAt), input.policy).firstResponseDueAt,
          },
          ...(f.channelId ? [{ key: ChannelIdKey, value: f.channelId }] : []),
          ...(f.brokerId ? [{ key: BrokerIdKey, value: f.brokerId }] : []),
        ],
        staticSummary: `Complaint · ${f.category} · ${f.priority} priority · ${f.caseId ? `case ${f.caseId}` : 'no case'}`,
        staticDetails: [
          `Filed by ${input.filedBy.split(':')[0]}${f.channelId ? ` for channel ${f.channelId}` : ''}${f.brokerId ? `, case broker ${f.brokerId}` : ''}.`,
          f.priorityRaisedBy.length ? `Priority raised by ${f.priorityRaisedBy.join(', ')}.` : 'Priority as requested.',
          f.doNotContact ? 'Harassment about contact: the case goes on do-not-contact.' : '',
          `Text sealed under ${f.keyScope === 'case' ? "the case's data key" : 'a key of its own'}.`,
        ]
          .filter(Boolean)
          .join(' '),
      }),
    );
  } catch {
    throw new DomainError(
      'temporal_unavailable',
      'the workflow engine is unreachable; nothing was stored, retry later',
      { retryable: true },
    );
  }
}
