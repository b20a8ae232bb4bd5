import { z } from 'zod';
import { validateIdNumber } from '../domain/id-number';
import { isMainlandMobile } from '../domain/phone';
import {
  CASE_OUTCOMES,
  CONSENT_PURPOSES,
  CONTACT_CHANNELS,
  CONTACT_OUTCOMES,
  CONTACT_PURPOSES,
  LEAD_STAGES,
  LOAN_PURPOSES,
  OCCUPATIONS,
  RISK_TIERS,
  CHANNEL_GRADES,
  CHANNEL_TYPES,
} from '../domain/types';

/**
 * The contract of lead cases and the reference data, API keys and audit trail around them: the
 * requests the API parses and the services take, and the answers it documents. Messages name the
 * rule, never echo the value.
 */

const ID_REASONS = {
  format: 'must be 18 characters: 17 digits and a check digit (0-9 or X)',
  region: 'does not start with a valid province code',
  birth_date: 'does not contain a valid birth date',
  check_digit: 'has a wrong check digit (GB 11643)',
} as const;

const idNumber = z.string().superRefine((v, ctx) => {
  const r = validateIdNumber(v);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `ID number ${ID_REASONS[r.reason]}` });
});
const regionCode = z.string().regex(/^\d{6}$/, 'must be a 6-digit administrative region code');
const yuan = z.number().int('must be whole yuan').min(0);

export const consentGrantSchema = z.strictObject({
  noticeVersion: z.string().min(1).max(40),
  purposes: z
    .array(z.enum(CONSENT_PURPOSES))
    .min(1)
    .max(3)
    .transform((p) => [...new Set(p)]),
});

export const intakeSchema = z.strictObject({
  channelId: z.string().min(1).max(64),
  applicant: z.strictObject({
    name: z.string().trim().min(1).max(50),
    idNumber,
    phone: z.string().refine(isMainlandMobile, 'must be a mainland mobile number (11 digits starting 13-19)'),
    residenceRegion: regionCode,
    occupation: z.enum(OCCUPATIONS),
    monthlyIncome: yuan.max(100_000_000),
    monthlyDebt: yuan.max(100_000_000),
  }),
  request: z.strictObject({
    amount: z.number().int('must be whole yuan').min(1_000).max(5_000_000),
    termMonths: z.number().int().min(1).max(360),
    purpose: z.enum(LOAN_PURPOSES),
  }),
  context: z
    .strictObject({
      deviceId: z.string().min(1).max(128).optional(),
      ip: z.union([z.ipv4(), z.ipv6()]).optional(),
      /** Region codes the channel resolved itself (we have no phone-segment or IP table of our own). */
      phoneRegion: regionCode.optional(),
      ipRegion: regionCode.optional(),
    })
    .default({}),
  consent: consentGrantSchema.optional(),
});
export type IntakeRequest = z.infer<typeof intakeSchema>;

export const withdrawSchema = z.strictObject({
  purposes: z
    .array(z.enum(CONSENT_PURPOSES))
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
export const outcomeSchema = z.strictObject({ outcome: z.enum(CASE_OUTCOMES) });
export const assignmentSchema = z.strictObject({ brokerId: z.string().min(1).max(64).nullable() });
export const legalHoldSchema = z.strictObject({ hold: z.boolean(), reason: z.string().trim().min(1).max(2000) });
export const humanReviewSchema = z.strictObject({ reason: z.string().trim().max(2000).optional() });
export const emptySchema = z.strictObject({});

export const caseIdParams = z.object({ id: z.uuid('must be a case ID (UUID)') });
export const brokerIdParams = z.object({ id: z.string() });

export const listQuerySchema = z.strictObject({
  stage: z.enum(LEAD_STAGES).optional(),
  tier: z.enum(RISK_TIERS).optional(),
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
});

/** A consent notice's version: what consents and intakes name in `noticeVersion`. */
export const noticeVersionParams = z.object({
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, '1-40 letters, digits, dots, dashes or underscores'),
});

export const noticePublishSchema = z.strictObject({
  version: noticeVersionParams.shape.version,
  /** What is collected, why, how it is processed, and what refusing means: the text as the customer sees it. */
  text: z.string().trim().min(20, 'a notice says what is collected, why, how, and what refusing means').max(50_000),
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

export const apiKeyCreateSchema = z.strictObject({ label: z.string().trim().min(1).max(100) });

export const apiKeyParams = z.object({
  id: z.string().min(1).max(64),
  keyId: z.string().regex(/^[0-9a-f]{16}$/, 'a key ID is 16 hex digits'),
});

const MAX_REVOKE_AHEAD_HOURS = 72;

export const apiKeyRevokeSchema = z.strictObject({
  reason: z.string().trim().min(1).max(500),
  /** When the key stops working; now if left out. At most 72 hours ahead. */
  at: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .refine(
      (d) => d.getTime() <= Date.now() + MAX_REVOKE_AHEAD_HOURS * 3_600_000,
      `at most ${MAX_REVOKE_AHEAD_HOURS} hours ahead`,
    )
    .optional(),
});

export const apiKeyRotateSchema = z.strictObject({
  reason: z.string().trim().min(1).max(500),
  /** How long the old key keeps working beside the new one, so the partner can switch without a gap. */
  overlapHours: z.number().int().min(0).max(MAX_REVOKE_AHEAD_HOURS).default(24),
  /** The new key's label; the old one's if left out. */
  label: z.string().trim().min(1).max(100).optional(),
});

export const auditQuerySchema = z.strictObject({
  targetType: z.string().max(40).optional(),
  targetId: z.string().max(100).optional(),
  actorSub: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  beforeId: z.coerce.number().int().positive().optional(),
});

export const funnelQuerySchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
    to: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
    groupBy: z.enum(['channel', 'broker', 'none']).default('channel'),
    period: z.enum(['day', 'week', 'month']).optional().describe('also split by the period a case was opened in'),
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['to'] });

const tiers = z.array(z.enum(RISK_TIERS)).min(1);
export const productSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9-]{3,64}$/, 'lowercase letters, digits and dashes'),
    lenderId: z.string().min(1).max(64),
    name: z.string().trim().min(1).max(100),
    aprMinPct: z.number().min(0).max(100),
    aprMaxPct: z.number().min(0).max(100).describe('all fees included; the APR cap is checked against this'),
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
  .refine(
    (p) =>
      p.aprMinPct <= p.aprMaxPct &&
      p.amountMin <= p.amountMax &&
      p.termMinMonths <= p.termMaxMonths &&
      p.ageMin <= p.ageMax,
    {
      message: 'each minimum must not exceed its maximum',
    },
  );
export const lenderSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{3,64}$/, 'lowercase letters, digits and dashes'),
  name: z.string().trim().min(1).max(100),
  licenceNo: z.string().trim().min(1).max(64),
  licensed: z.boolean(),
  active: z.boolean().default(true),
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
  stage: z.enum(LEAD_STAGES).nullable(),
  duplicate: z.boolean(),
  replayed: z.boolean().optional(),
});

const deadlineSchema = z
  .object({ kind: z.string(), startedAt: z.string(), dueAt: z.string(), reminded: z.boolean(), escalated: z.boolean() })
  .nullable();
export const caseStateSchema = z
  .object({
    caseId: z.uuid(),
    stage: z.enum(LEAD_STAGES),
    tier: z.enum(RISK_TIERS).nullable(),
    consentState: z.string(),
    consent: z.record(
      z.enum(CONSENT_PURPOSES),
      z.object({ granted: z.boolean(), noticeVersion: z.string().nullable(), at: z.string().nullable() }),
    ),
    brokerId: z.string().nullable(),
    deadline: deadlineSchema,
    matches: z.array(
      z.object({ productId: z.string(), lenderId: z.string(), rank: z.number(), reasons: z.array(z.string()) }),
    ),
    selectedProductId: z.string().nullable(),
    outcome: z.enum(CASE_OUTCOMES).nullable(),
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
    stage: z.enum(LEAD_STAGES),
    riskTier: z.enum(RISK_TIERS).nullable(),
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
  })
  .passthrough()
  .describe(
    'a channel sees outcomes, rule codes, explanations and documents to provide, never a fraud or credit input; risk, compliance and managers also see tiers, inputs and matches. Every read is audited',
  );

export const brokerSavedSchema = brokerSchema.extend({
  handOver: z
    .object({ workflowId: z.string(), openCases: z.number().int() })
    .nullable()
    .describe(
      'on a deactivation: the offboarding workflow that hands the open cases to other brokers (started, or joined if running)',
    ),
});

export const auditCheckpointSchema = z.object({
  lastId: z.number().int().describe('the newest audit row when it was taken (0: none)'),
  count: z.number().int().describe('rows up to lastId'),
  headMac: z.string().describe('the MAC of row lastId'),
  at: z.string().describe('when it was taken'),
  keyId: z.string().describe('the audit key that signed it'),
  signature: z.string().describe('HMAC-SHA256 over the fields above'),
});

export const auditVerifySchema = z.object({
  intact: z.boolean(),
  code: z
    .enum([
      'link_broken',
      'row_altered',
      'unknown_key',
      'unkeyed_row',
      'checkpoint_signature_invalid',
      'checkpoint_row_missing',
      'checkpoint_count_mismatch',
      'checkpoint_head_mismatch',
      'chain_ends_before_checkpoint',
      'checkpoint_overdue',
      'checkpoint_missing',
    ])
    .optional()
    .describe('why not, when not intact'),
  reason: z.string().optional(),
  firstBrokenId: z.number().int().nullable().optional().describe('the row where it shows, when one does'),
  checkpoint: z
    .object({
      lastId: z.number().int(),
      count: z.number().int(),
      at: z.string(),
      keyId: z.string(),
      ageSeconds: z.number().int().describe('a cut of rows appended since could go unseen: the window'),
    })
    .nullable()
    .describe('the newest checkpoint kept outside Postgres; null before the first'),
});
