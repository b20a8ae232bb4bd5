import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { appendAudit } from '../../../platform/audit/log';
import type { CaseDeps } from './cases';
import { loadIdentity } from './identity';
import { loadCaseRow } from './read-access';
import { getComplaint } from '../../complaint/service/complaints';
import { checkInsOfCase } from '../../post-loan/service';

/**
 * The data-subject copy (PIPL art. 45): everything held about the person of a case, unmasked,
 * as JSON. Every export is audited.
 */
export async function exportCase(deps: Pick<CaseDeps, 'db' | 'cfg'>, actor: Actor, caseId: string) {
  const row = await loadCaseRow(deps.db, caseId);
  const q = (sql: string) => deps.db.query(sql, [caseId]);
  const [identity, credit, consents, decisions, contacts, intakes, erasure, checkIns] = await Promise.all([
    row.erased_at ? null : loadIdentity(deps, caseId),
    q('SELECT monthly_income AS "monthlyIncome", monthly_debt AS "monthlyDebt" FROM credit_facts WHERE case_id = $1'),
    q(`SELECT c.purpose, c.action, c.notice_version AS "noticeVersion", n.content_hash AS "noticeHash", c.source, c.at
         FROM consents c LEFT JOIN consent_notices n ON n.version = c.notice_version WHERE c.case_id = $1 ORDER BY c.id`),
    q(
      'SELECT kind, tier, outcome, rules_fired AS "rulesFired", inputs, result, decided_by AS "decidedBy", decided_at AS "decidedAt" FROM decisions WHERE case_id = $1 ORDER BY id',
    ),
    q(
      'SELECT broker_id AS "brokerId", channel, purpose, outcome, note, at FROM contact_log WHERE case_id = $1 ORDER BY id',
    ),
    q(
      'SELECT channel_id AS "channelId", kind, matched_on AS "matchedOn", at FROM lead_intakes WHERE case_id = $1 ORDER BY id',
    ),
    q(
      'SELECT reason, erased_at AS "erasedAt", evidence_hash AS "evidenceHash", facts FROM erasure_records WHERE case_id = $1',
    ),
    checkInsOfCase(deps.db, caseId),
  ]);
  if (!identity && !row.erased_at)
    throw new DomainError('identity_missing', 'the identity of this case cannot be read');
  // Complaints about the case belong to the person too, with their text while it can still be opened (each read is audited).
  const complaintIds: { id: string }[] = await q('SELECT id FROM complaints WHERE case_id = $1 ORDER BY filed_at, id');
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
    decisions,
    contactLog: contacts,
    postLoanCheckIns: checkIns,
    intakes,
    complaints,
    erasure: erasure[0] ?? null,
  };
}
