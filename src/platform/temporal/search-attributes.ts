import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Search attributes managers filter on in the Web UI. Never personal data. */
export const LeadStageKey = defineSearchAttributeKey('LeadStage', SearchAttributeType.KEYWORD);
export const RiskTierKey = defineSearchAttributeKey('RiskTier', SearchAttributeType.KEYWORD);
export const ChannelIdKey = defineSearchAttributeKey('ChannelId', SearchAttributeType.KEYWORD);
export const BrokerIdKey = defineSearchAttributeKey('BrokerId', SearchAttributeType.KEYWORD);
export const ConsentStateKey = defineSearchAttributeKey('ConsentState', SearchAttributeType.KEYWORD);
export const SlaDueAtKey = defineSearchAttributeKey('SlaDueAt', SearchAttributeType.DATETIME);
export const VulnerableKey = defineSearchAttributeKey('Vulnerable', SearchAttributeType.BOOL);
export const AmountCnyKey = defineSearchAttributeKey('AmountCny', SearchAttributeType.INT);
/** Where a case or complaint stands against its running deadline: on_time, due_soon, overdue; empty when none runs. */
export const SlaStateKey = defineSearchAttributeKey('SlaState', SearchAttributeType.KEYWORD);
/** Why a closed case or complaint closed (approved, lost, consent_timeout, …). */
export const CloseReasonKey = defineSearchAttributeKey('CloseReason', SearchAttributeType.KEYWORD);
/** A legal hold keeps the personal data past retention until it is released. */
export const LegalHoldKey = defineSearchAttributeKey('LegalHold', SearchAttributeType.BOOL);
/** When a closed case's (or a complaint's own) personal data is due for erasure. */
export const RetentionDueAtKey = defineSearchAttributeKey('RetentionDueAt', SearchAttributeType.DATETIME);
/** Complaints (`complaintCase`): their priority and state; `SlaDueAt` holds their next due time. */
export const ComplaintPriorityKey = defineSearchAttributeKey('ComplaintPriority', SearchAttributeType.KEYWORD);
export const ComplaintStateKey = defineSearchAttributeKey('ComplaintState', SearchAttributeType.KEYWORD);

export const ALL_SEARCH_ATTRIBUTES = [
  LeadStageKey,
  RiskTierKey,
  ChannelIdKey,
  BrokerIdKey,
  ConsentStateKey,
  SlaDueAtKey,
  VulnerableKey,
  AmountCnyKey,
  SlaStateKey,
  CloseReasonKey,
  LegalHoldKey,
  RetentionDueAtKey,
  ComplaintPriorityKey,
  ComplaintStateKey,
];

/** `temporal server start-dev --search-attribute` spelling of each key. */
export function searchAttributeFlags(): string[] {
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', BOOL: 'Bool', INT: 'Int' };
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${cliType[k.type]}`]);
}
