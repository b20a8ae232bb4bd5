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
  ComplaintPriorityKey,
  ComplaintStateKey,
];

/** `temporal server start-dev --search-attribute` spelling of each key. */
export function searchAttributeFlags(): string[] {
  const cliType: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', BOOL: 'Bool', INT: 'Int' };
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${cliType[k.type]}`]);
}
