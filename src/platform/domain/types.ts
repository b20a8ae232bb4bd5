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

/** What kind of licensed lender it is: the all-in cost cap depends on it (policy.pricing.allInCapSchedule). */
export const LENDER_TYPES = ['bank', 'consumer_finance', 'microlender', 'trust', 'other'] as const;
export type LenderType = (typeof LENDER_TYPES)[number];

/**
 * What a consent notice may name as shared with a lender (PIPL art. 23, 29), and all a lender
 * package may ever hold (断直连): identity (name, ID number), contact (phone), residence (its region
 * code), employment and income as the customer declared them (occupation, monthly income and debts),
 * and the loan request (amount, term, purpose, product). Never a tier, score or fraud signal.
 */
export const LENDER_DATA_CATEGORIES = [
  'identity',
  'contact',
  'residence',
  'employment_income',
  'loan_request',
] as const;
export type LenderDataCategory = (typeof LENDER_DATA_CATEGORIES)[number];

/** How a product is repaid, who collects each fee, and what a fee's value is measured against. */
export const REPAYMENT_METHODS = ['equal_instalment', 'equal_principal', 'interest_only_bullet'] as const;
export type RepaymentMethod = (typeof REPAYMENT_METHODS)[number];
export const FEE_PAYEES = ['lender', 'guarantor', 'insurer', 'platform', 'other'] as const;
export type FeePayee = (typeof FEE_PAYEES)[number];
export const FEE_BASES = [
  'upfront_pct_of_principal',
  'monthly_pct_of_principal',
  'flat_upfront',
  'flat_monthly',
] as const;
export type FeeBasis = (typeof FEE_BASES)[number];

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

/** `SlaState` search attribute: a running deadline's reminder mark makes it due soon, its due (escalation) mark overdue. */
export const SLA_STATES = ['on_time', 'due_soon', 'overdue'] as const;
export type SlaState = (typeof SLA_STATES)[number];

/** `ConsentState` search attribute: a compact, non-identifying summary of the ledger. */
export type ConsentState = 'none' | 'granted' | 'partial' | 'withdrawn';

/**
 * What a lookup of a phone's or an IP address's region found: a GB/T 2260 region code (6 digits), or
 * why there is none. `unknown`: the number segment or the address is not in the data, or not down to a
 * province. `outside_mainland` (IP only): abroad, Hong Kong, Macao or Taiwan. `not_public` (IP only):
 * a private, loopback or reserved address. `not_given`: there was nothing to look up.
 */
export type RegionLookup =
  { status: 'found'; regionCode: string } | { status: 'unknown' | 'outside_mainland' | 'not_public' | 'not_given' };
