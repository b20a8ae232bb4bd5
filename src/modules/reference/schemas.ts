import { z } from 'zod';
import { isMainlandMobile } from '../../platform/domain/phone';
import {
  CHANNEL_GRADES,
  CHANNEL_TYPES,
  FEE_BASES,
  FEE_PAYEES,
  LENDER_DATA_CATEGORIES,
  LENDER_TYPES,
  REPAYMENT_METHODS,
  RISK_TIERS,
} from '../../platform/domain/types';
import { idNumber } from '../lead/schemas/id-number';

/**
 * The reference data around lead cases: consent notice versions, the blacklist, lenders'
 * application reports, and the products, lenders, channels and brokers an admin maintains.
 */

/** A consent notice's version: what consents and intakes name in `noticeVersion`. */
export const noticeVersionParams = z.object({
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, '1-40 letters, digits, dots, dashes or underscores'),
});

export const noticePublishSchema = z.strictObject({
  version: noticeVersionParams.shape.version,
  /** What is collected, why, how it is processed, and what refusing means: the text as the customer sees it. */
  text: z.string().trim().min(20, 'a notice says what is collected, why, how, and what refusing means').max(50_000),
  /**
   * The lenders this version asks consent to share with (PIPL art. 23, 29): each named with its
   * contact, the purpose, the method and the categories of data. The text must name each lender and
   * its contact; a lender_sharing consent may name only lenders listed here.
   */
  recipients: z
    .array(
      z.strictObject({
        lenderId: z.string().min(1).max(64),
        lenderName: z.string().trim().min(1).max(200),
        contact: z.string().trim().min(1).max(200),
        purpose: z.string().trim().min(1).max(500),
        method: z.string().trim().min(1).max(500),
        dataCategories: z
          .array(z.enum(LENDER_DATA_CATEGORIES))
          .min(1)
          .transform((c) => [...new Set(c)]),
      }),
    )
    .max(100)
    .refine((r) => new Set(r.map((x) => x.lenderId)).size === r.length, 'each lender once')
    .optional(),
});

/** The person a blacklist entry is about: an ID number, a phone, or both. Only their blind indexes are stored. */
export const blacklistPersonSchema = z
  .strictObject({
    idNumber: idNumber.optional(),
    phone: z
      .string()
      .refine(isMainlandMobile, 'must be a mainland mobile number (11 digits starting 13-19)')
      .optional(),
  })
  .refine((p) => p.idNumber !== undefined || p.phone !== undefined, {
    message: 'give an ID number, a phone, or both',
    path: ['idNumber'],
  });

/** Why a person is listed: a code, never free text, so the list and its audit rows hold no story about anyone. */
export const BLACKLIST_REASONS = [
  'fraud_confirmed',
  'identity_misuse',
  'forged_documents',
  'court_order',
  'regulator_list',
  'customer_self_exclusion',
] as const;
export const BLACKLIST_REMOVAL_REASONS = [
  'listed_in_error',
  'appeal_upheld',
  'court_order',
  'self_exclusion_ended',
] as const;

export const blacklistAddSchema = z.strictObject({ person: blacklistPersonSchema, reason: z.enum(BLACKLIST_REASONS) });
export const blacklistRemoveSchema = z.strictObject({
  person: blacklistPersonSchema,
  reason: z.enum(BLACKLIST_REMOVAL_REASONS),
});

export const blacklistCheckSchema = z.strictObject({ person: blacklistPersonSchema });

/** Applications a person made at lenders (any lender, not only the matrix's), as lenders or a credit bureau report them. */
export const lenderApplicationsSchema = z.strictObject({
  applications: z
    .array(
      z.strictObject({
        idNumber,
        lenderId: z.string().trim().min(1).max(64),
        appliedAt: z.iso
          .datetime({ offset: true })
          .transform((v) => new Date(v))
          .refine((d) => d.getTime() <= Date.now() + 5 * 60_000, 'an application cannot lie in the future'),
      }),
    )
    .min(1)
    .max(500),
});

const tiers = z.array(z.enum(RISK_TIERS)).min(1);
const day = z.iso.date().describe('YYYY-MM-DD, a Beijing calendar day');

/** One fee the borrower pays, whoever collects it: every fee counts in the all-in cost (金规〔2025〕9号). */
export const feeSchema = z.strictObject({
  name: z.string().trim().min(1).max(60).describe('as the contract names it, e.g. 担保费'),
  payee: z
    .enum(FEE_PAYEES)
    .describe('who collects it; `platform` (our firm) is refused: the platform may charge the borrower nothing'),
  basis: z.enum(FEE_BASES),
  value: z
    .number()
    .min(0)
    .max(1_000_000)
    .describe('a percentage of the principal for the *_pct_of_principal bases, CNY for the flat ones'),
});

export const productSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{3,64}$/, 'lowercase letters, digits and dashes'),
    lenderId: z.string().min(1).max(64),
    name: z.string().trim().min(1).max(100),
    repayment: z.enum(REPAYMENT_METHODS),
    nominalAprPct: z.number().min(0).max(100).describe('the contract rate, fees aside'),
    fees: z
      .array(feeSchema)
      .max(20)
      .default([])
      .describe('every fee; the all-in cost for a case (IRR × 12) is computed from these and checked against the cap'),
    amountMin: z.number().int().min(1).max(100_000_000),
    amountMax: z.number().int().min(1).max(100_000_000),
    termMinMonths: z.number().int().min(1).max(360),
    termMaxMonths: z.number().int().min(1).max(360),
    secured: z.boolean(),
    disbursementDays: z.number().int().min(0).max(365),
    eligibleTiers: tiers,
    provinces: z
      .array(z.string().regex(/^\d{2}$/))
      .nullable()
      .describe('null: nationwide'),
    allowsNonLocal: z.boolean(),
    ageMin: z.number().int().min(18).max(100),
    ageMax: z.number().int().min(18).max(100),
    commissionPct: z.number().min(0).max(100).default(0),
    active: z.boolean().default(true),
  })
  .refine((p) => p.amountMin <= p.amountMax && p.termMinMonths <= p.termMaxMonths && p.ageMin <= p.ageMax, {
    message: 'each minimum must not exceed its maximum',
  });

/** Our firm on the lender's published partner list (名单制, 金规〔2025〕9号): a lender that does not list us is never matched. */
export const partnerListingSchema = z
  .strictObject({
    listed: z.boolean(),
    since: day.nullable().default(null).describe('the first day we are on the list; required when listed'),
    until: day.nullable().default(null).describe('the last day (inclusive); null: open-ended'),
    reference: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .nullable()
      .default(null)
      .describe('where the list is published, or its document number'),
  })
  .refine((l) => !l.listed || l.since !== null, { message: 'a listing needs the day it starts', path: ['since'] })
  .refine((l) => l.since === null || l.until === null || l.until >= l.since, {
    message: 'until must not be before since',
    path: ['until'],
  });

export const lenderSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{3,64}$/, 'lowercase letters, digits and dashes'),
  name: z.string().trim().min(1).max(100),
  licenceNo: z.string().trim().min(1).max(64),
  licensed: z.boolean(),
  active: z.boolean().default(true),
  type: z.enum(LENDER_TYPES).describe('the all-in cost cap depends on it (policy.pricing.allInCapSchedule)'),
  partnerListing: partnerListingSchema,
});
export const channelSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{3,64}$/, 'lowercase letters, digits and dashes'),
  name: z.string().trim().min(1).max(100),
  type: z.enum(CHANNEL_TYPES),
  partner: z.string().trim().min(1).max(100),
  grade: z.enum(CHANNEL_GRADES).default('general'),
  suspended: z.boolean().default(false),
  suspensionReason: z.string().max(500).nullable().default(null),
  cacCny: z.number().int().min(0).max(1_000_000).default(0),
  team: z.string().max(64).nullable().default(null),
});
export const brokerSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{3,64}$/, 'lowercase letters, digits and dashes'),
  displayName: z.string().trim().min(1).max(100),
  team: z.string().min(1).max(64),
  active: z.boolean().default(true),
});

export const brokerSavedSchema = brokerSchema.extend({
  handOver: z
    .object({ workflowId: z.string(), openCases: z.number().int() })
    .nullable()
    .describe(
      'on a deactivation: the offboarding workflow that hands the open cases to other brokers (started, or joined if running)',
    ),
});
