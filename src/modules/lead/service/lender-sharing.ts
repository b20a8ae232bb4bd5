import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import { appendAudit } from '../../../platform/audit/log';
import { buildLenderPackage } from '../rules/lender-package';
import { findCreditFacts } from '../repository/export';
import {
  findCostAcknowledgements,
  findExistingLenderIds,
  findLatestLenderConsents,
  findLatestLenderGrants,
  findLenderOfProduct,
  findNotice,
} from '../repository/lender-sharing';
import type { CaseDeps } from './cases';
import { loadIdentity } from './identity';
import { assertMayRead, loadCaseRow } from './read-access';

/**
 * Sharing a case with a lender (PIPL art. 23, 29; 断直连): the checks on a consent naming lenders,
 * the record of consents and acknowledgements the export and the decision explanation show, and
 * the lender package. The workflow holds the consent and the acknowledgements and refuses a
 * submission without them (src/modules/lead/workflow/lender-sharing.ts); the ledgers hold them in
 * Postgres, which is what is read here.
 */

/**
 * A `lender_sharing` grant names lenders that exist (`unknown_lender`) and that the notice version
 * names as recipients, with their contact, purpose, method and data categories (`lender_not_in_notice`).
 */
export async function assertLendersConsentable(
  deps: Pick<CaseDeps, 'db'>,
  noticeVersion: string,
  lenderIds: string[] | undefined,
): Promise<void> {
  if (!lenderIds?.length) return;
  const known = await findExistingLenderIds(deps.db, lenderIds);
  const unknown = lenderIds.filter((l) => !known.includes(l));
  if (unknown.length > 0)
    throw new DomainError('unknown_lender', `no such lender: ${unknown.join(', ')}`, { lenderIds: unknown });
  const notice = await findNotice(deps.db, noticeVersion);
  const named = new Set((notice?.recipients ?? []).map((r) => r.lenderId));
  const unnamed = lenderIds.filter((l) => !named.has(l));
  if (unnamed.length > 0)
    throw new DomainError(
      'lender_not_in_notice',
      `consent notice ${noticeVersion} does not name ${unnamed.join(', ')} as a recipient (with its contact, purpose, method and data)`,
      { lenderIds: unnamed },
    );
}

/**
 * The consents to share with each lender, as they stand, with what the notice told the customer
 * about that lender; and every acknowledgement of a cost disclosure. For the export and the decision.
 */
export async function lenderSharingRecord(deps: Pick<CaseDeps, 'db'>, caseId: string) {
  const [latest, grants, acknowledgements] = await Promise.all([
    findLatestLenderConsents(deps.db, caseId),
    findLatestLenderGrants(deps.db, caseId),
    findCostAcknowledgements(deps.db, caseId),
  ]);
  const notices = new Map<string, Awaited<ReturnType<typeof findNotice>>>();
  for (const g of grants)
    if (g.noticeVersion && !notices.has(g.noticeVersion))
      notices.set(g.noticeVersion, await findNotice(deps.db, g.noticeVersion));
  const lenderConsents = latest.map((c) => {
    const grant = grants.find((g) => g.lenderId === c.lenderId);
    const notice = grant?.noticeVersion ? notices.get(grant.noticeVersion) : null;
    return {
      lenderId: c.lenderId,
      granted: c.action === 'grant',
      noticeVersion: grant?.noticeVersion ?? null,
      noticeHash: notice?.contentHash ?? null,
      recipient: notice?.recipients.find((r) => r.lenderId === c.lenderId) ?? null,
      source: c.source,
      at: new Date(c.at).toISOString(),
    };
  });
  return { lenderConsents, costDisclosureAcknowledgements: acknowledgements };
}

const SUBMITTED_OUTCOMES: unknown[] = ['submitted', 'approved', 'lender_declined'];

/**
 * What was, or would be, sent to a lender about the case: the whitelisted fields of the categories
 * the customer agreed to share with that lender (rules/lender-package.ts), never a credit fact.
 * Refused without a standing consent naming the lender. Every read is audited as a read of
 * personal data, with the fields it showed.
 */
export async function getLenderPackage(
  deps: Pick<CaseDeps, 'db' | 'cfg'>,
  actor: Actor,
  caseId: string,
  lenderId: string,
) {
  const row = await loadCaseRow(deps.db, caseId);
  assertMayRead(actor, row);
  const consent = (await findLatestLenderConsents(deps.db, caseId)).find((c) => c.lenderId === lenderId);
  if (!consent || consent.action !== 'grant')
    throw new DomainError(
      'lender_consent_required',
      `the customer has not agreed to share their data with ${lenderId}`,
    );
  const notice = consent.noticeVersion ? await findNotice(deps.db, consent.noticeVersion) : null;
  const categories = notice?.recipients.find((r) => r.lenderId === lenderId)?.dataCategories ?? [];
  const identity = row.erased_at ? null : await loadIdentity(deps, caseId);
  if (!identity) throw new DomainError('erased', 'the personal data of this case has been erased');
  const [credit] = await findCreditFacts(deps.db, caseId);
  const selected = row.selected_product_id as string | null;
  const forThisLender = selected !== null && (await findLenderOfProduct(deps.db, selected)) === lenderId;
  const fields = buildLenderPackage(
    {
      ...identity,
      occupation: row.occupation,
      monthlyIncome: numberOrUndefined(credit?.monthlyIncome),
      monthlyDebt: numberOrUndefined(credit?.monthlyDebt),
      amountCny: numberOrUndefined(row.amount_cny),
      termMonths: numberOrUndefined(row.term_months),
      loanPurpose: row.loan_purpose,
      productId: forThisLender ? selected : undefined,
    },
    categories,
  );
  await appendAudit(deps.db.manager, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'lender_package.read',
    targetType: 'lead_case',
    targetId: caseId,
    details: { lenderId, fields: Object.keys(fields), noticeVersion: consent.noticeVersion },
  });
  return {
    caseId,
    lenderId,
    sent: forThisLender && SUBMITTED_OUTCOMES.includes(row.outcome),
    consent: { noticeVersion: consent.noticeVersion, at: new Date(consent.at).toISOString(), source: consent.source },
    dataCategories: categories,
    fields,
  };
}

const numberOrUndefined = (v: unknown): number | undefined =>
  v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v);
