import { z } from 'zod';
import { isMainlandMobile } from '../../../platform/domain/phone';
import {
  CONTACT_CHANNELS,
  CONTACT_OUTCOMES,
  CONTACT_PURPOSES,
  LOAN_PURPOSES,
  OCCUPATIONS,
} from '../../../platform/domain/types';
import { idNumber, toHalfWidth } from './id-number';
import { caseOutcomeEnum, consentPurposeEnum, riskTierEnum, stageEnum } from './labels';

/**
 * The contract of lead cases: the requests the API parses and the services take, and the answers it
 * documents. Messages name the rule, never echo the value. The reference data is in reference.ts,
 * API keys and the audit trail in admin.ts.
 */

/** A 6-digit region code; full-width digits are read as half-width, as in an ID number. */
const regionCode = z
  .string()
  .overwrite(toHalfWidth)
  .regex(/^\d{6}$/, 'must be a 6-digit administrative region code');

/**
 * An amount in whole yuan: a JSON number, or a string of digits as an input method may type it
 * (full-width `１０００００` included), read as that number.
 */
const wholeYuan = (min: number, max: number) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' && /^[0-9０-９]+$/.test(v) ? Number(toHalfWidth(v)) : v),
      z.number().int('must be whole yuan').min(min).max(max),
    )
    .describe('whole yuan; a string of digits, full-width (１２３) included, is read as that number');

/** A mainland mobile number, full-width digits made half-width. */
const mobile = z
  .string()
  .overwrite(toHalfWidth)
  .refine(isMainlandMobile, 'must be a mainland mobile number (11 digits starting 13-19)')
  .describe('11 digits starting 13-19; full-width digits are read as half-width');

export const consentGrantSchema = z.strictObject({
  noticeVersion: z.string().min(1).max(40),
  purposes: z
    .array(consentPurposeEnum)
    .min(1)
    .max(3)
    .transform((p) => [...new Set(p)]),
});

export const intakeSchema = z.strictObject({
  channelId: z.string().min(1).max(64),
  applicant: z.strictObject({
    name: z.string().trim().min(1).max(50),
    idNumber: idNumber.describe(
      '18 characters: 17 digits and a check digit; full-width digits and Ｘ are read as half-width',
    ),
    phone: mobile,
    residenceRegion: regionCode,
    occupation: z.enum(OCCUPATIONS),
    monthlyIncome: wholeYuan(0, 100_000_000),
    monthlyDebt: wholeYuan(0, 100_000_000),
  }),
  request: z.strictObject({
    amount: wholeYuan(1_000, 5_000_000),
    termMonths: z.number().int().min(1).max(360),
    purpose: z.enum(LOAN_PURPOSES),
  }),
  context: z
    .strictObject({
      deviceId: z.string().min(1).max(128).optional(),
      ip: z.union([z.ipv4(), z.ipv6()]).optional(),
      /**
       * Region codes the channel resolved itself. The service looks both up from the phone's number
       * segment and the IP database; these are used when that finds nothing, and one that disagrees
       * with the looked-up region is recorded as a mismatch.
       */
      phoneRegion: regionCode.optional(),
      ipRegion: regionCode.optional(),
    })
    .default({}),
  consent: consentGrantSchema.optional(),
});
export type IntakeRequest = z.infer<typeof intakeSchema>;

export const withdrawSchema = z.strictObject({
  purposes: z
    .array(consentPurposeEnum)
    .min(1)
    .max(3)
    .transform((p) => [...new Set(p)]),
});

export const reviewSchema = z.strictObject({
  decision: z.enum(['approve', 'decline']),
  reason: z.string().trim().min(1).max(2000),
});

export const contactAttemptSchema = z.strictObject({
  channel: z.enum(CONTACT_CHANNELS),
  purpose: z.enum(CONTACT_PURPOSES),
  outcome: z.enum(CONTACT_OUTCOMES),
  note: z.string().max(2000).optional(),
  marketingText: z.string().max(5000).optional(),
});

export const selectionSchema = z.strictObject({ productId: z.string().min(1).max(64) });
export const outcomeSchema = z.strictObject({ outcome: caseOutcomeEnum });
export const assignmentSchema = z.strictObject({ brokerId: z.string().min(1).max(64).nullable() });
export const legalHoldSchema = z.strictObject({ hold: z.boolean(), reason: z.string().trim().min(1).max(2000) });
export const humanReviewSchema = z.strictObject({ reason: z.string().trim().max(2000).optional() });
export const emptySchema = z.strictObject({});

export const caseIdParams = z.object({ id: z.uuid('must be a case ID (UUID)') });
export const brokerIdParams = z.object({ id: z.string() });

export const listQuerySchema = z.strictObject({
  stage: stageEnum.optional(),
  tier: riskTierEnum.optional(),
  brokerId: z.string().max(64).optional(),
  channelId: z.string().max(64).optional(),
  breached: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const piiQuerySchema = z.strictObject({
  purpose: z.enum([
    'customer_service',
    'lender_submission',
    'complaint_handling',
    'regulator_request',
    'data_subject_request',
  ]),
});

export const marketingTextSchema = z.strictObject({
  text: z.string().min(1).max(10_000),
  contractBacksLowRate: z.boolean().optional(),
  contractBacksFree: z.boolean().optional(),
  /** The text promotes a product of these lenders: it must name each and show 年化利率 (PBoC announcement [2021] No. 3). */
  lenderNames: z.array(z.string().trim().min(1).max(100)).min(1).max(20).optional(),
});

export const funnelQuerySchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
    to: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
    groupBy: z.enum(['channel', 'broker', 'none']).default('channel'),
    period: z.enum(['day', 'week', 'month']).optional().describe('also split by the period a case was opened in'),
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['to'] });

/** `GET /v1/post-loan/check-ins` */
export const checkInListQuerySchema = z.strictObject({
  state: z.enum(['due', 'done', 'unreached', 'cancelled']).optional(),
  brokerId: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('managers and compliance: one broker’s; brokers see only their own'),
  pool: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('only those in the shared pool (no active broker), for managers'),
  cursor: z.string().max(200).optional().describe('the previous page’s nextCursor'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const checkInParams = z.object({
  id: z.uuid('must be a case ID (UUID)'),
  day: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .describe('the check-in’s day: days after the approval it falls due (e.g. 7)'),
});

/** `POST /v1/leads/{id}/check-ins/{day}`: one call. Reached: the customer's two answers; not reached: nothing else. */
export const checkInCallSchema = z.discriminatedUnion('reached', [
  z.strictObject({ reached: z.literal(false) }),
  z.strictObject({
    reached: z.literal(true),
    termsAsAgreed: z.boolean().describe('the loan arrived with the amount, rate and term the customer was promised'),
    extraFeesCharged: z
      .boolean()
      .describe('a fee was charged or deducted beyond the contract (e.g. a "service fee" taken from the amount)'),
  }),
]);

// ---- responses (for the OpenAPI document) ----

export const intakeResultSchema = z.object({
  caseId: z
    .uuid()
    .nullable()
    .describe('null on a duplicate of a case the caller may not read (another channel’s, another broker’s)'),
  workflowId: z.string().nullable(),
  stage: stageEnum.nullable(),
  duplicate: z.boolean(),
  replayed: z.boolean().optional(),
});

const deadlineSchema = z
  .object({ kind: z.string(), startedAt: z.string(), dueAt: z.string(), reminded: z.boolean(), escalated: z.boolean() })
  .nullable();
/** What the customer is shown for a matched product before submission; `disclosureHash` is what they acknowledge. */
export const costDisclosureSchema = z
  .object({
    principal: z.number(),
    termMonths: z.number(),
    repayment: z.string(),
    nominalAprPct: z.number(),
    received: z.number().describe('the principal less upfront fees'),
    fees: z.array(
      z.object({
        name: z.string(),
        payee: z.string(),
        basis: z.string(),
        value: z.number(),
        amount: z.number().describe('CNY over the whole loan'),
        annualisedPct: z.number().describe('what this fee alone adds to the annualised cost'),
      }),
    ),
    feesTotal: z.number(),
    allInAprPct: z.number().describe('IRR × 12 (单利), every fee included; the cap is checked against it'),
    compoundAprPct: z.number().describe('(1 + IRR)^12 − 1, a compound figure'),
    firstRepayment: z.number(),
    totalRepayment: z.number(),
    method: z.literal('irr_monthly_x12'),
    disclosureHash: z.string().describe('SHA-256 (hex) of the canonical JSON of the other fields'),
  })
  .describe('the all-in cost disclosure (综合融资成本) for this case');

export const caseStateSchema = z
  .object({
    caseId: z.uuid(),
    stage: stageEnum,
    tier: riskTierEnum.nullable(),
    consentState: z.string(),
    consent: z.record(
      consentPurposeEnum,
      z.object({ granted: z.boolean(), noticeVersion: z.string().nullable(), at: z.string().nullable() }),
    ),
    brokerId: z.string().nullable(),
    deadline: deadlineSchema,
    matches: z.array(
      z.object({
        productId: z.string(),
        lenderId: z.string(),
        rank: z.number(),
        reasons: z.array(z.string()),
        allInAprPct: z
          .number()
          .optional()
          .describe("the all-in annualised cost for this case's amount and term: IRR × 12, every fee included"),
        costDisclosure: costDisclosureSchema.optional(),
      }),
    ),
    selectedProductId: z.string().nullable(),
    lenderConsents: z
      .record(z.string(), z.object({ granted: z.boolean(), noticeVersion: z.string().nullable(), at: z.string() }))
      .optional()
      .describe('lender_sharing consent per named lender, by lender ID: a submission needs its lender’s'),
    costAcknowledgements: z
      .record(
        z.string(),
        z.object({
          productId: z.string(),
          lenderId: z.string(),
          disclosureHash: z.string(),
          allInAprPct: z.number(),
          source: z.string(),
          at: z.string(),
        }),
      )
      .optional()
      .describe('the customer’s latest acknowledgement of each product’s cost disclosure, by product ID'),
    outcome: caseOutcomeEnum.nullable(),
    doNotContact: z.boolean(),
    retentionDueAt: z.string().nullable(),
  })
  .passthrough()
  .describe('the case as its workflow holds it: IDs and de-identified facts only');

export const caseViewSchema = z
  .object({
    caseId: z.uuid(),
    workflowId: z.string(),
    channelId: z.string(),
    stage: stageEnum,
    riskTier: riskTierEnum.nullable(),
    brokerId: z.string().nullable(),
    consentState: z.string(),
    vulnerable: z.boolean(),
    request: z.object({ amount: z.number(), termMonths: z.number(), purpose: z.string() }),
    sla: z.object({ kind: z.string().nullable(), dueAt: z.string(), breached: z.boolean() }).nullable(),
    applicant: z
      .object({ name: z.string(), idNumber: z.string(), phone: z.string(), residenceRegion: z.string() })
      .nullable()
      .describe('masked'),
  })
  .passthrough();

export const caseListSchema = z.object({
  items: z.array(caseViewSchema.omit({ applicant: true })),
  nextCursor: z.string().nullable(),
});

export const decisionViewSchema = z
  .object({
    caseId: z.uuid(),
    stage: z.string(),
    decisions: z.array(
      z
        .object({
          kind: z.string(),
          automated: z.boolean(),
          outcome: z.string().nullable(),
          explanation: z
            .string()
            .optional()
            .describe('channel view: the outcome in words a customer can read (Accept-Language)'),
          rulesFired: z
            .array(z.unknown())
            .describe(
              'channel view: [{ code, explanation }], fraud rules as one code; other roles: the rules with their details',
            ),
          decidedAt: z.string(),
        })
        .passthrough(),
    ),
    humanReview: z.object({ available: z.boolean(), how: z.string() }),
    lenderConsents: z
      .array(z.unknown())
      .optional()
      .describe('per lender: granted or withdrawn, the notice version and hash, what it named, source and time'),
    costDisclosureAcknowledgements: z
      .array(z.unknown())
      .optional()
      .describe('each acknowledgement: product, lender, disclosureHash, all-in rate, source and time'),
  })
  .passthrough()
  .describe(
    'a channel sees outcomes, rule codes, explanations and documents to provide, never a fraud or credit input; risk, compliance and managers also see tiers, inputs and matches. Every read is audited',
  );
