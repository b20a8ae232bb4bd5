import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { appendAudit } from '../../../platform/audit/log';
import type { CaseDeps } from './cases';
import { loadIdentity } from './identity';
import { loadCaseRow } from './read-access';
import { lenderSharingRecord } from './lender-sharing';
import { getComplaint } from '../../complaint/service/complaints';
import { checkInsOfCase } from '../../post-loan/service';
import {
  findComplaintIdsOfCase,
  findConsents,
  findContactLog,
  findCreditFacts,
  findErasureRecord,
  findExportedDecisions,
  findIntakes,
} from '../repository/export';

/**
 * The data-subject copy (PIPL art. 45): everything held about the person of a case, unmasked,
 * as JSON. Every export is audited.
 */
export async function exportCase(deps: Pick<CaseDeps, 'db' | 'cfg'>, actor: Actor, caseId: string) {
  const row = await loadCaseRow(deps.db, caseId);
  const [identity, credit, consents, decisions, contacts, intakes, erasure, checkIns, sharing] = await Promise.all([
    row.erased_at ? null : loadIdentity(deps, caseId),
    findCreditFacts(deps.db, caseId),
    findConsents(deps.db, caseId),
    findExportedDecisions(deps.db, caseId),
    findContactLog(deps.db, caseId),
    findIntakes(deps.db, caseId),
    findErasureRecord(deps.db, caseId),
    checkInsOfCase(deps.db, caseId),
    lenderSharingRecord(deps, caseId),
  ]);
  if (!identity && !row.erased_at)
    throw new DomainError('identity_missing', 'the identity of this case cannot be read');
  // Complaints about the case belong to the person too, with their text while it can still be opened (each read is audited).
  const complaintIds = await findComplaintIdsOfCase(deps.db, caseId);
  const complaints = [];
  for (const { id } of complaintIds) complaints.push(await getComplaint(deps, actor, id));
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'lead.exported',
    targetType: 'lead_case',
    targetId: caseId,
    details: { erased: Boolean(row.erased_at) },
  });
  return {
    exportedAt: new Date().toISOString(),
    caseId,
    identity,
    creditFacts: credit[0] ?? null,
    case: {
      stage: row.stage,
      channelId: row.channel_id,
      riskTier: row.risk_tier,
      brokerId: row.broker_id,
      createdAt: row.created_at,
      request: { amount: row.amount_cny, termMonths: row.term_months, purpose: row.loan_purpose },
      outcome: row.outcome,
      closedAt: row.closed_at,
      retentionDueAt: row.retention_due_at,
      legalHold: row.legal_hold,
    },
    consents,
    // Per lender: the consent as it stands and what the notice named (recipient, contact, purpose, method, data).
    lenderConsents: sharing.lenderConsents,
    costDisclosureAcknowledgements: sharing.costDisclosureAcknowledgements,
    decisions,
    contactLog: contacts,
    postLoanCheckIns: checkIns,
    intakes,
    complaints,
    erasure: erasure[0] ?? null,
  };
}
