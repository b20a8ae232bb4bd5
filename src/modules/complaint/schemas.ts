import { z } from 'zod';
import {
  COMPLAINT_CATEGORIES,
  COMPLAINT_PRIORITIES,
  COMPLAINT_RESOLUTIONS,
  COMPLAINT_STATES,
  COMPLAINT_TEAMS,
  RESPONSE_CHANNELS,
  SATISFACTION_RESULTS,
} from './rules';
import { isMainlandMobile } from '../../platform/domain/phone';

/** Request and response shapes of the complaint routes. Messages name the rule, never echo the value. */

const note = z
  .string()
  .trim()
  .min(1)
  .max(2000)
  .describe('personal data: stored sealed with the complaint, never in the workflow');

export const complaintFilingSchema = z
  .strictObject({
    caseId: z
      .uuid('must be a case ID (UUID)')
      .optional()
      .describe('the lead case it is about; omit for a customer with no case'),
    category: z.enum(COMPLAINT_CATEGORIES),
    priority: z
      .enum(COMPLAINT_PRIORITIES)
      .default('normal')
      .describe('as requested; the rules may raise it (privacy and harassment are always high)'),
    aboutContact: z
      .boolean()
      .optional()
      .describe(
        'a harassment complaint about contact puts the case on do-not-contact at once; true by default for harassment',
      ),
    description: z
      .string()
      .trim()
      .min(1)
      .max(5000)
      .describe('personal data: stored sealed, never in workflows, search attributes, logs or errors'),
    customer: z
      .strictObject({
        name: z.string().trim().min(1).max(50).optional(),
        phone: z
          .string()
          .refine(isMainlandMobile, 'must be a mainland mobile number (11 digits starting 13-19)')
          .optional(),
      })
      .optional()
      .describe('how to reach the customer (sealed); a complaint with no case needs a phone'),
  })
  .refine((b) => b.caseId !== undefined || b.customer?.phone !== undefined, {
    message: 'a complaint without a case needs the customer’s phone, to answer them',
    path: ['customer', 'phone'],
  });
export type ComplaintFilingRequest = z.infer<typeof complaintFilingSchema>;

export const complaintIdParams = z.object({ id: z.uuid('must be a complaint ID (UUID)') });

export const firstResponseSchema = z.strictObject({ via: z.enum(RESPONSE_CHANNELS), note: note.optional() });

export const complaintEscalationSchema = z.strictObject({
  teams: z
    .array(z.enum(COMPLAINT_TEAMS))
    .min(2)
    .max(COMPLAINT_TEAMS.length)
    .transform((t) => [...new Set(t)])
    .describe('the teams of the cross-team group (专项小组): at least two different ones'),
  reason: note.optional(),
});

export const complaintCloseSchema = z.strictObject({
  resolution: z.enum(COMPLAINT_RESOLUTIONS),
  satisfaction: z
    .enum(SATISFACTION_RESULTS)
    .describe('the customer’s answer to the satisfaction check; dissatisfied reopens the complaint once'),
  note: note.optional(),
});

export const complaintListQuerySchema = z.strictObject({
  state: z.enum(COMPLAINT_STATES).optional(),
  priority: z.enum(COMPLAINT_PRIORITIES).optional(),
  category: z.enum(COMPLAINT_CATEGORIES).optional(),
  caseId: z.uuid('must be a case ID (UUID)').optional(),
  overdue: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('open and past the next due time (first response, else resolution)'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
export type ComplaintListQuery = z.infer<typeof complaintListQuerySchema>;

export const complaintReportQuerySchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
    to: z.iso.datetime({ offset: true }).transform((v) => new Date(v)),
    groupBy: z.enum(['category', 'priority', 'channel', 'broker']).default('category'),
  })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['to'] });
export type ComplaintReportQuery = z.infer<typeof complaintReportQuerySchema>;

// ---- responses (for the OpenAPI document) ----
const at = z.string().nullable();
export const complaintViewSchema = z
  .object({
    complaintId: z.uuid(),
    workflowId: z.string(),
    caseId: z.uuid().nullable(),
    channelId: z.string().nullable(),
    brokerId: z.string().nullable(),
    category: z.enum(COMPLAINT_CATEGORIES),
    priority: z.enum(COMPLAINT_PRIORITIES),
    priorityRaisedBy: z.array(z.string()),
    doNotContact: z.string(),
    state: z.enum(COMPLAINT_STATES),
    filedAt: z.string(),
    nextDueAt: at,
    overdue: z.boolean(),
    firstResponse: z.object({ dueAt: z.string(), at, late: z.boolean() }),
    resolution: z.object({
      dueAt: z.string(),
      late: z.boolean(),
      outcome: z.enum(COMPLAINT_RESOLUTIONS).nullable(),
      satisfaction: z.enum(SATISFACTION_RESULTS).nullable(),
      closedAt: at,
    }),
    escalatedTo: z.object({ teams: z.array(z.enum(COMPLAINT_TEAMS)), at: z.string() }).nullable(),
    timesReopened: z.number().int(),
    retentionDueAt: at,
    legalHold: z.boolean(),
  })
  .passthrough()
  .describe('a complaint: IDs, codes and times only, unless the caller may read its text (GET one)');

export const complaintListSchema = z.object({ items: z.array(complaintViewSchema), nextCursor: z.string().nullable() });

export const complaintDetailSchema = complaintViewSchema
  .extend({
    description: z
      .string()
      .nullable()
      .optional()
      .describe('compliance, managers and the case’s broker only (audited); null once erased'),
    customer: z.object({ name: z.string().optional(), phone: z.string().optional() }).nullable().optional(),
    textErased: z.boolean().optional(),
    events: z.array(
      z.object({
        kind: z.string(),
        actor: z.string(),
        at: z.string(),
        details: z.record(z.string(), z.unknown()),
        note: z.string().nullable().optional(),
      }),
    ),
  })
  .passthrough();

const reportFigures = z.object({
  filed: z.number().int(),
  open: z.number().int(),
  closed: z.number().int(),
  firstResponded: z.number().int(),
  firstResponseMinutes: z.object({ median: z.number().nullable(), p90: z.number().nullable() }),
  lateFirstResponses: z.number().int(),
  lateResolutions: z.number().int(),
  escalatedToGroup: z.number().int(),
  reopened: z.number().int(),
  satisfaction: z.object({ satisfied: z.number().int(), neutral: z.number().int(), dissatisfied: z.number().int() }),
});
export const complaintReportSchema = z.object({
  from: z.string(),
  to: z.string(),
  groupBy: z.string(),
  totals: reportFigures,
  groups: z.array(reportFigures.extend({ key: z.string() })),
});
