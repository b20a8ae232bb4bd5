import { z } from 'zod';
import { CASE_OUTCOMES, CONSENT_PURPOSES, LEAD_STAGES, RISK_TIERS } from '../../../platform/domain/types';
import { STAGE_LABELS as CASE_TEXT_STAGES } from '../rules/case-text';

/**
 * The main enums of lead cases with their Chinese labels, for the OpenAPI descriptions and the
 * glossary in docs/api.md. The API sends and takes the English values only; a label is for people.
 */
export const STAGE_LABELS: Readonly<Record<(typeof LEAD_STAGES)[number], string>> = CASE_TEXT_STAGES['zh-CN'];

export const CONSENT_PURPOSE_LABELS: Readonly<Record<(typeof CONSENT_PURPOSES)[number], string>> = {
  credit_assessment: '信用评估',
  lender_sharing: '向出借机构提供信息',
  marketing: '营销',
};

export const CASE_OUTCOME_LABELS: Readonly<Record<(typeof CASE_OUTCOMES)[number], string>> = {
  submitted: '已提交出借机构',
  approved: '出借机构已批准',
  lender_declined: '出借机构拒绝',
  customer_declined: '客户放弃',
  lost: '客户流失',
};

export const RISK_TIER_LABELS: Readonly<Record<(typeof RISK_TIERS)[number], string>> = {
  A: 'A 类（直接匹配）',
  B: 'B 类（人工审核）',
  C: 'C 类（拒绝）',
};

/** `awaiting_consent` 待同意, `prescreening` 初审中, …: the values with their labels, for a description. */
const glossed = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([value, label]) => `\`${value}\` ${label}`)
    .join(', ');

/** An enum of `values`, described with the Chinese label of each. */
const labelledEnum = <const T extends readonly [string, ...string[]]>(
  what: string,
  values: T,
  labels: Readonly<Record<T[number], string>>,
) => z.enum(values).describe(`${what}: ${glossed(labels)}`);

export const stageEnum = labelledEnum('the case’s stage (阶段)', LEAD_STAGES, STAGE_LABELS);
export const consentPurposeEnum = labelledEnum(
  'a consent purpose (授权用途)',
  CONSENT_PURPOSES,
  CONSENT_PURPOSE_LABELS,
);
export const caseOutcomeEnum = labelledEnum('the outcome at the lender (结果)', CASE_OUTCOMES, CASE_OUTCOME_LABELS);
export const riskTierEnum = labelledEnum('the pre-screen’s risk tier (风险等级)', RISK_TIERS, RISK_TIER_LABELS);
