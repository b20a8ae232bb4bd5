import { canonicalJson } from '../../../platform/domain/canonical-json';
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { Policy } from '../../../platform/config/policy';
import { appendAudit } from '../../../platform/audit/log';
import { FRAUD_RULE_CODES } from '../../channel/rules';
import { amountBand } from '../rules/deidentify';
import { stressTest } from '../rules/dti';
import type { CostDisclosure } from '../rules/cost';
import { matchProducts, type ProductFacts } from '../rules/matching';
import { decideTier } from '../rules/tiering';
import type { RiskTier } from '../../../platform/domain/types';
import type { MatchInput, MatchResult, PrescreenInput, PrescreenResult } from './contract';
import { loadCase, WORKFLOW_ACTOR, type CaseRow } from './case-row';
import {
  countBlacklisted,
  countDeviceLeads,
  countLendersAppliedTo,
  findCreditFacts,
  findDecisionByEvent,
  findProductsWithLenders,
  flagCaseFraud,
  insertMatchDecision,
  insertPrescreenDecision,
} from '../repository/automated-decisions';

/** What the automated decisions need: the database and the policy they apply. */
export interface DecisionDeps {
  db: DataSource;
  policy: Policy;
}

type StoredDecision = { tier: RiskTier; rules_fired: PrescreenResult['rulesFired']; result: Record<string, unknown> };

async function existingDecision(m: EntityManager, eventId: string) {
  const row = await findDecisionByEvent(m, eventId);
  return row as StoredDecision | undefined;
}

const prescreenResultOf = (d: StoredDecision): PrescreenResult => ({
  tier: d.tier,
  rulesFired: d.rules_fired,
  requiredDocuments: (d.result.requiredDocuments as string[]) ?? [],
});

type FraudSignals = {
  deviceLeads24h: number;
  lenderApplications: number;
  blacklisted: boolean;
  regionMismatches: string[];
};

/** The fraud rules' inputs as of the case's time `at`: leads from its device, lenders applied to, the blacklist. */
async function fraudSignals(db: DataSource, policy: Policy, c: CaseRow, at: string): Promise<FraudSignals> {
  const device = c.device_index ? await countDeviceLeads(db, c.device_index, at) : { n: 0 };
  const lenders = c.id_index
    ? await countLendersAppliedTo(db, c.id_index, at, policy.fraud.multiLenderWindowDays)
    : { n: 0 };
  const black = await countBlacklisted(db, [c.id_index, c.phone_index].filter(Boolean));
  return {
    deviceLeads24h: device.n,
    lenderApplications: lenders.n,
    blacklisted: black.n > 0,
    regionMismatches: c.region_mismatches,
  };
}

/** Pre-screens a case once per eventId: a retry returns the decision already stored. */
export async function prescreenLead(
  { db, policy }: DecisionDeps,
  { caseId, eventId, at }: PrescreenInput,
): Promise<PrescreenResult> {
  const prior = await existingDecision(db.manager, eventId);
  if (prior) return prescreenResultOf(prior);

  const c = await loadCase(db.manager, caseId, at);
  const facts = await findCreditFacts(db, caseId);
  if (!facts) throw ApplicationFailure.nonRetryable(`case ${caseId} has no credit facts`, 'credit_facts_missing');
  const fraud = await fraudSignals(db, policy, c, at);

  const stress = stressTest(
    {
      monthlyIncome: facts.monthly_income,
      monthlyDebt: facts.monthly_debt,
      amount: c.amount_cny,
      termMonths: c.term_months,
    },
    policy,
  );
  const decision = decideTier({ stress, fraud, vulnerable: c.vulnerable, channelGrade: c.channel_grade }, policy);
  await recordPrescreen(db, { caseId, eventId, at }, c, { stress, fraud, decision });
  return prescreenResultOf((await existingDecision(db.manager, eventId))!);
}

interface Prescreen {
  stress: ReturnType<typeof stressTest>;
  fraud: FraudSignals;
  decision: ReturnType<typeof decideTier>;
}

/** The decision, with what it was made from; a fraud rule flags the case; the audit row only on the first write. */
async function recordPrescreen(
  db: DataSource,
  { caseId, eventId, at }: PrescreenInput,
  c: CaseRow,
  { stress, fraud, decision }: Prescreen,
): Promise<void> {
  await db.transaction(async (m) => {
    const inserted = await insertPrescreenDecision(m, [
      eventId,
      caseId,
      decision.tier,
      { A: 'auto_pass', B: 'manual_review', C: 'declined' }[decision.tier],
      JSON.stringify(decision.rulesFired),
      JSON.stringify({
        dtiPct: stress.dtiPct,
        stressedDtiPct: stress.stressedDtiPct,
        amountBand: amountBand(c.amount_cny),
        termMonths: c.term_months,
        ...fraud,
        vulnerable: c.vulnerable,
        channelGrade: c.channel_grade,
      }),
      JSON.stringify({ requiredDocuments: decision.requiredDocuments }),
      at,
    ]);
    if (decision.rulesFired.some((r) => (FRAUD_RULE_CODES as readonly string[]).includes(r.code))) {
      await flagCaseFraud(m, caseId);
    }
    if (inserted)
      await appendAudit(m, {
        ...WORKFLOW_ACTOR,
        action: 'prescreen.decided',
        targetType: 'lead_case',
        targetId: caseId,
        details: { tier: decision.tier, eventId },
      });
  });
}

function productFactsOf(r: Record<string, unknown>): ProductFacts {
  return {
    productId: r.id as string,
    lenderId: r.lender_id as string,
    lenderLicensed: r.lender_licensed as boolean,
    lenderActive: r.lender_active as boolean,
    lenderType: r.lender_type as ProductFacts['lenderType'],
    partnerListing: {
      listed: r.partner_listed as boolean,
      since: (r.partner_listed_since as string | null) ?? null,
      until: (r.partner_listed_until as string | null) ?? null,
    },
    active: r.active as boolean,
    repayment: r.repayment as ProductFacts['repayment'],
    nominalAprPct: Number(r.nominal_apr_pct),
    fees: r.fees as ProductFacts['fees'],
    amountMin: r.amount_min as number,
    amountMax: r.amount_max as number,
    termMinMonths: r.term_min_months as number,
    termMaxMonths: r.term_max_months as number,
    secured: r.secured as boolean,
    disbursementDays: r.disbursement_days as number,
    eligibleTiers: r.eligible_tiers as RiskTier[],
    provinces: (r.provinces as string[] | null) ?? 'nationwide',
    allowsNonLocal: r.allows_non_local as boolean,
    ageMin: r.age_min as number,
    ageMax: r.age_max as number,
    commissionPct: Number(r.commission_pct),
  };
}

/** SHA-256 (hex) over the disclosure's canonical JSON: what the customer's acknowledgement names. */
export const disclosureHash = (disclosure: CostDisclosure): string =>
  createHash('sha256').update(canonicalJson(disclosure)).digest('hex');

/** Matches a case to products once per eventId: a retry returns the result already stored. */
export async function matchLead(
  { db, policy }: DecisionDeps,
  { caseId, eventId, tier, at }: MatchInput,
): Promise<MatchResult> {
  const prior = await existingDecision(db.manager, eventId);
  if (prior) return prior.result as unknown as MatchResult;

  const c = await loadCase(db.manager, caseId, at);
  const rows = await findProductsWithLenders(db);
  const products: ProductFacts[] = rows.map(productFactsOf);
  const age = c.age_at_intake ?? 0;
  const result = matchProducts(
    {
      amount: c.amount_cny,
      termMonths: c.term_months,
      tier,
      age,
      provinceCode: c.province_code,
      local: c.is_local,
      channelGrade: c.channel_grade,
      at,
    },
    products,
    policy,
  );
  const out: MatchResult = {
    matches: result.matches.map((m) => ({
      productId: m.productId,
      lenderId: m.lenderId,
      rank: m.rank,
      reasons: [...m.reasons],
      allInAprPct: m.allInAprPct,
      costDisclosure: { ...m.costDisclosure, disclosureHash: disclosureHash(m.costDisclosure) },
    })),
    excludedCount: result.excluded.length,
  };
  await db.transaction(async (m) => {
    await insertMatchDecision(m, [
      eventId,
      caseId,
      tier,
      out.matches.length > 0 ? 'matched' : 'no_eligible_product',
      JSON.stringify(result.excluded),
      JSON.stringify({
        tier,
        amountBand: amountBand(c.amount_cny),
        termMonths: c.term_months,
        ageBand: c.age_band,
        provinceCode: c.province_code,
        local: c.is_local,
        channelGrade: c.channel_grade,
      }),
      JSON.stringify(out),
      at,
    ]);
  });
  return out;
}
