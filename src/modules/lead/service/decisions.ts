import { DomainError } from '../../../platform/domain/errors';
import type { Actor } from '../../../platform/domain/actor';
import { FRAUD_RULE_CODES } from '../../channel/rules';
import { auditAction, type CaseDeps } from './cases';
import { findCaseStage, findDecisions, type DecisionRow } from '../repository/decisions';
import { lenderSharingRecord } from './lender-sharing';

export type ExplanationLanguage = 'zh-CN' | 'en';

type Words = Record<ExplanationLanguage, string>;

/**
 * What a channel may be told about a rule, by the rule's code: the code it sees and a sentence the
 * customer can read. A whitelist: a rule not named here is shown as `other_check`, so a new rule
 * (or a new input behind one) is not disclosed until someone decides it may be. The fraud rules
 * share one code, so the answer never says whether the person is on the blacklist or has applied
 * to many lenders: that is what `/blacklist/check` (risk and compliance only, audited) protects.
 */
const FRAUD_CHECK: { code: string; words: Words } = {
  code: 'fraud_prevention_check',
  words: {
    'zh-CN': '申请未通过我们的反欺诈核查。如有疑问，可申请人工复核。',
    en: 'The application did not pass our fraud-prevention checks. You may ask a person to review it.',
  },
};
const OTHER_CHECK: { code: string; words: Words } = {
  code: 'other_check',
  words: {
    'zh-CN': '申请未满足我们的其他审核要求。',
    en: 'The application did not meet one of our other requirements.',
  },
};
const RULE_WORDS: Record<string, Words> = {
  stressed_dti_above_tier_b_max: {
    'zh-CN': '按压力测试测算，每月还款占收入的比例过高，超出我们可以推荐的范围。',
    en: 'Under a stress test, the monthly repayments would take too large a share of income for us to recommend a loan.',
  },
  stressed_dti_above_tier_a_max: {
    'zh-CN': '按压力测试测算，每月还款占收入的比例偏高，需要风控人员人工审核。',
    en: 'Under a stress test, the monthly repayments would take a high share of income, so a risk officer reviews the application.',
  },
  region_mismatch: {
    'zh-CN': '居住地与证件信息不一致，需要补充居住证明并经人工审核。',
    en: 'The place of residence differs from the ID document, so proof of residence and a review by a person are needed.',
  },
  vulnerable_customer: {
    'zh-CN': '为保护您的权益，此类申请不会自动通过，由工作人员人工审核。',
    en: 'To protect you, applications like this one are never approved automatically; a person reviews them.',
  },
  risk_channel_requires_tier_a: {
    'zh-CN': '通过该渠道提交的申请只有在无需人工审核时才能继续。',
    en: 'Applications through this channel go ahead only when they need no manual review.',
  },
  amount_out_of_range: {
    'zh-CN': '申请金额不在合作产品的额度范围内。',
    en: 'The amount asked for is outside the range our partner products lend.',
  },
  amount_above_channel_grade_max: {
    'zh-CN': '申请金额超过了该渠道可申请的上限。',
    en: 'The amount asked for is above the limit for applications through this channel.',
  },
  term_out_of_range: {
    'zh-CN': '申请期限不在合作产品的期限范围内。',
    en: 'The term asked for is outside the terms our partner products offer.',
  },
  tier_c_not_matched: {
    'zh-CN': '初审未通过的申请不推荐产品。',
    en: 'No product is recommended for an application that did not pass the first check.',
  },
  tier_not_eligible: {
    'zh-CN': '初审结果不符合合作产品的准入要求。',
    en: 'The first check’s result does not meet our partner products’ requirements.',
  },
  region_not_served: {
    'zh-CN': '合作产品暂不覆盖您所在的地区。',
    en: 'Our partner products do not serve your region yet.',
  },
  non_local_not_allowed: {
    'zh-CN': '合作产品要求借款人在本地居住。',
    en: 'Our partner products lend only to local residents.',
  },
  age_out_of_range: {
    'zh-CN': '年龄不在合作产品的要求范围内。',
    en: 'Your age is outside the range our partner products accept.',
  },
};
/** Exclusions that say something about the customer's request; the rest (a lender's licence, a product's price) are about the products. */
const NO_PRODUCT: { code: string; words: Words } = {
  code: 'no_suitable_product',
  words: {
    'zh-CN': '目前没有符合要求的合作产品。',
    en: 'None of our partner products is available for this request at the moment.',
  },
};

const OUTCOME_WORDS: Record<string, Words> = {
  'prescreen:auto_pass': { 'zh-CN': '初审自动通过。', en: 'The first check passed automatically.' },
  'prescreen:manual_review': {
    'zh-CN': '初审需要风控人员人工审核。',
    en: 'The first check needs a review by a risk officer.',
  },
  'prescreen:declined': { 'zh-CN': '初审未通过。', en: 'The application did not pass the first check.' },
  'match:matched': { 'zh-CN': '已为申请匹配到合作产品。', en: 'Partner products were found for the application.' },
  'match:no_eligible_product': {
    'zh-CN': '没有合作产品符合这次申请。',
    en: 'No partner product fits the application.',
  },
  'manual_review:approve': { 'zh-CN': '风控人员审核通过。', en: 'A risk officer approved the application.' },
  'manual_review:decline': { 'zh-CN': '风控人员审核未通过。', en: 'A risk officer declined the application.' },
  'human_review_request:requested': { 'zh-CN': '已申请人工复核。', en: 'A review by a person was asked for.' },
};
const OUTCOME_OTHER: Words = { 'zh-CN': '申请的处理结果已记录。', en: 'A decision on the application was recorded.' };

const codeOf = (rule: unknown): string =>
  typeof rule === 'string' ? rule : String((rule as { code?: unknown })?.code ?? '');

/** The codes and sentences a channel sees for a decision's rules: whitelisted, fraud rules merged, no details, no duplicates. */
function channelRules(row: DecisionRow, lang: ExplanationLanguage): { code: string; explanation: string }[] {
  let codes: string[] = [];
  if (row.kind === 'prescreen') codes = row.rules_fired.map(codeOf);
  // For matching, only when nothing matched: why, for the request (never the other products' reasons).
  else if (row.kind === 'match' && row.outcome === 'no_eligible_product') {
    codes = row.rules_fired
      .flatMap((r) => ((r as { reasons?: unknown[] }).reasons ?? []).map(codeOf))
      .map((c) => (RULE_WORDS[c] ? c : NO_PRODUCT.code));
  }
  const out = new Map<string, string>();
  for (const code of codes) {
    const shown = (FRAUD_RULE_CODES as readonly string[]).includes(code)
      ? FRAUD_CHECK
      : code === NO_PRODUCT.code
        ? NO_PRODUCT
        : RULE_WORDS[code]
          ? { code, words: RULE_WORDS[code] }
          : OTHER_CHECK;
    if (!out.has(shown.code)) out.set(shown.code, shown.words[lang]);
  }
  return [...out].map(([code, explanation]) => ({ code, explanation }));
}

/**
 * The explanation of the automated decisions about a case (PIPL art. 24): which rules fired, what
 * it means, and how to ask a person to look again. Risk, compliance and managers see the
 * de-identified inputs the rules read; a channel sees what the customer is owed (outcomes, rule
 * codes, sentences a customer can read, documents to provide), never a fraud or credit input.
 * Both show the customer's consents to share with each lender and their acknowledgements of cost
 * disclosures (`lenderConsents`, `costDisclosureAcknowledgements`).
 * Every read is audited as a read of the case, before the answer leaves.
 */
export async function getDecision(
  deps: Pick<CaseDeps, 'db'>,
  actor: Actor,
  caseId: string,
  lang: ExplanationLanguage = 'zh-CN',
) {
  const rows = await findDecisions(deps.db, caseId);
  if (rows.length === 0) throw new DomainError('no_decision', 'no decision has been made on this case yet');
  const c = await findCaseStage(deps.db, caseId);
  const prescreen = [...rows].reverse().find((r) => r.kind === 'prescreen');
  const humanReview = {
    available: c?.stage === 'declined' && prescreen?.tier === 'C',
    how: `POST /v1/leads/${caseId}/human-review asks a risk officer to decide the case again`,
  };
  const channelView = actor.role === 'channel';
  // What the customer agreed to before a submission: both views show it, with no credit input in it.
  const sharing = await lenderSharingRecord(deps, caseId);
  const answer = channelView
    ? {
        caseId,
        stage: c?.stage,
        decisions: rows.map((r) => ({
          kind: r.kind,
          automated: r.decided_by.startsWith('automated_'),
          outcome: r.outcome,
          explanation: (OUTCOME_WORDS[`${r.kind}:${r.outcome}`] ?? OUTCOME_OTHER)[lang],
          rulesFired: channelRules(r, lang),
          requiredDocuments:
            r.kind === 'prescreen' ? ((r.result.requiredDocuments as string[] | undefined) ?? []) : undefined,
          decidedAt: r.decided_at,
        })),
        humanReview,
        ...sharing,
      }
    : {
        caseId,
        stage: c?.stage,
        decisions: rows.map((r) => ({
          kind: r.kind,
          automated: r.decided_by.startsWith('automated_'),
          tier: r.tier,
          outcome: r.outcome,
          rulesFired: r.kind === 'match' ? [] : r.rules_fired,
          inputs: r.inputs,
          requiredDocuments: (r.result.requiredDocuments as string[] | undefined) ?? undefined,
          matches: r.kind === 'match' ? r.result.matches : undefined,
          excludedProducts: r.kind === 'match' ? r.rules_fired : undefined,
          decidedAt: r.decided_at,
        })),
        humanReview,
        ...sharing,
      };
  await auditAction(deps, actor, 'decision.read', caseId, { view: channelView ? 'channel' : 'full' });
  return answer;
}
