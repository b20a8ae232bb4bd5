/** Vocabulary shared by the rules, the workflows and the API. No personal data is ever one of these. */

export const LEAD_STAGES = [
  'awaiting_consent',
  'prescreening',
  'manual_review',
  'matching',
  'follow_up',
  'submitted',
  'closed',
  'declined',
  'withdrawn',
  'erased',
] as const;
export type LeadStage = (typeof LEAD_STAGES)[number];

/** Stages in which a case is finished and only its retention clock runs. */
export const CLOSED_STAGES: readonly LeadStage[] = ['closed', 'declined', 'withdrawn', 'erased'];
export const isOpenStage = (stage: LeadStage): boolean => !CLOSED_STAGES.includes(stage);

export const CONSENT_PURPOSES = ['credit_assessment', 'lender_sharing', 'marketing'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];

export const RISK_TIERS = ['A', 'B', 'C'] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

export const OCCUPATIONS = ['salaried', 'self_employed', 'student', 'retired', 'other'] as const;
export type Occupation = (typeof OCCUPATIONS)[number];

export const LOAN_PURPOSES = [
  'consumption',
  'business',
  'education',
  'medical',
  'home_improvement',
  'car',
  'other',
] as const;
export type LoanPurpose = (typeof LOAN_PURPOSES)[number];

export const CHANNEL_GRADES = ['premium', 'general', 'risk'] as const;
export type ChannelGrade = (typeof CHANNEL_GRADES)[number];

export const CHANNEL_TYPES = ['online', 'offline', 'intermediary', 'social'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const CONTACT_CHANNELS = ['phone', 'sms', 'wechat', 'visit'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];
export const CONTACT_PURPOSES = ['service', 'marketing'] as const;
export type ContactPurpose = (typeof CONTACT_PURPOSES)[number];
export const CONTACT_OUTCOMES = ['reached', 'no_answer', 'callback_requested'] as const;
export type ContactOutcome = (typeof CONTACT_OUTCOMES)[number];

export const CASE_OUTCOMES = ['submitted', 'approved', 'lender_declined', 'customer_declined', 'lost'] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

export const ROLES = ['broker', 'manager', 'risk_officer', 'compliance', 'admin', 'channel'] as const;
export type Role = (typeof ROLES)[number];

export type AgeBand = '18-21' | '22-29' | '30-39' | '40-49' | '50-59' | '60+';

/** `ConsentState` search attribute: a compact, non-identifying summary of the ledger. */
export type ConsentState = 'none' | 'granted' | 'partial' | 'withdrawn';
