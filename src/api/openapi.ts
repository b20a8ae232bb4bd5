import { extendZodWithOpenApi, OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { CASE_OUTCOMES, CONSENT_PURPOSES, LEAD_STAGES, RISK_TIERS, ROLES } from '../domain/types';
import {
  assignmentSchema,
  caseIdParams,
  consentGrantSchema,
  contactAttemptSchema,
  emptySchema,
  humanReviewSchema,
  intakeSchema,
  legalHoldSchema,
  listQuerySchema,
  outcomeSchema,
  piiQuerySchema,
  reviewSchema,
  selectionSchema,
  withdrawSchema,
  auditQuerySchema,
  apiKeyCreateSchema,
  blacklistAddSchema,
  blacklistCheckSchema,
  blacklistRemoveSchema,
  lenderApplicationsSchema,
  noticePublishSchema,
  noticeVersionParams,
  apiKeyParams,
  apiKeyRevokeSchema,
  apiKeyRotateSchema,
  marketingTextSchema,
  funnelQuerySchema,
  productSchema,
  lenderSchema,
  channelSchema,
  brokerSchema,
  checkInCallSchema,
  checkInListQuerySchema,
  checkInParams,
} from './schemas';
import {
  complaintCloseSchema,
  complaintDetailSchema,
  complaintEscalationSchema,
  complaintFilingSchema,
  complaintIdParams,
  complaintListQuerySchema,
  complaintListSchema,
  complaintReportQuerySchema,
  complaintReportSchema,
  complaintViewSchema,
  firstResponseSchema,
} from './complaint-schemas';
import {
  channelFiguresQuerySchema,
  channelIdParams,
  channelOverrideSchema,
  channelReviewRequestSchema,
  clearOverrideSchema,
  gradingsQuerySchema,
  loanPerformanceSchema,
  reportPeriodQuerySchema,
} from './channel-schemas';

extendZodWithOpenApi(z);

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the handlers parse with, so the
 * contract and the validation cannot drift apart. A test checks that every Express route is here.
 */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    code: z.string().describe('stable, machine-readable reason'),
    detail: z.string(),
    instance: z.string(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .passthrough();

const intakeResultSchema = z.object({
  caseId: z.uuid().nullable().describe('null on a duplicate of a case the caller may not read (another channel’s, another broker’s)'),
  workflowId: z.string().nullable(),
  stage: z.enum(LEAD_STAGES).nullable(),
  duplicate: z.boolean(),
  replayed: z.boolean().optional(),
});

const deadlineSchema = z.object({ kind: z.string(), startedAt: z.string(), dueAt: z.string(), reminded: z.boolean(), escalated: z.boolean() }).nullable();
const caseStateSchema = z
  .object({
    caseId: z.uuid(),
    stage: z.enum(LEAD_STAGES),
    tier: z.enum(RISK_TIERS).nullable(),
    consentState: z.string(),
    consent: z.record(z.enum(CONSENT_PURPOSES), z.object({ granted: z.boolean(), noticeVersion: z.string().nullable(), at: z.string().nullable() })),
    brokerId: z.string().nullable(),
    deadline: deadlineSchema,
    matches: z.array(z.object({ productId: z.string(), lenderId: z.string(), rank: z.number(), reasons: z.array(z.string()) })),
    selectedProductId: z.string().nullable(),
    outcome: z.enum(CASE_OUTCOMES).nullable(),
    doNotContact: z.boolean(),
    retentionDueAt: z.string().nullable(),
  })
  .passthrough()
  .describe('the case as its workflow holds it: IDs and de-identified facts only');

const caseViewSchema = z
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
    applicant: z.object({ name: z.string(), idNumber: z.string(), phone: z.string(), residenceRegion: z.string() }).nullable().describe('masked'),
  })
  .passthrough();

const decisionViewSchema = z
  .object({
    caseId: z.uuid(),
    stage: z.string(),
    decisions: z.array(
      z
        .object({
          kind: z.string(),
          automated: z.boolean(),
          outcome: z.string().nullable(),
          explanation: z.string().optional().describe('channel view: the outcome in words a customer can read (Accept-Language)'),
          rulesFired: z.array(z.unknown()).describe('channel view: [{ code, explanation }], fraud rules as one code; other roles: the rules with their details'),
          decidedAt: z.string(),
        })
        .passthrough(),
    ),
    humanReview: z.object({ available: z.boolean(), how: z.string() }),
  })
  .passthrough()
  .describe('a channel sees outcomes, rule codes, explanations and documents to provide, never a fraud or credit input; risk, compliance and managers also see tiers, inputs and matches. Every read is audited');

const brokerSavedSchema = brokerSchema.extend({
  handOver: z
    .object({ workflowId: z.string(), openCases: z.number().int() })
    .nullable()
    .describe('on a deactivation: the offboarding workflow that hands the open cases to other brokers (started, or joined if running)'),
});
const codecPayloads = z.object({ payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() })) });
const listSchema = z.object({ items: z.array(caseViewSchema.omit({ applicant: true })), nextCursor: z.string().nullable() });
const anyObject = z.object({}).passthrough();
const auditCheckpointSchema = z.object({
  lastId: z.number().int().describe('the newest audit row when it was taken (0: none)'),
  count: z.number().int().describe('rows up to lastId'),
  headMac: z.string().describe('the MAC of row lastId'),
  at: z.string().describe('when it was taken'),
  keyId: z.string().describe('the audit key that signed it'),
  signature: z.string().describe('HMAC-SHA256 over the fields above'),
});
const auditVerifySchema = z.object({
  intact: z.boolean(),
  code: z
    .enum(['link_broken', 'row_altered', 'unknown_key', 'unkeyed_row', 'checkpoint_signature_invalid', 'checkpoint_row_missing', 'checkpoint_count_mismatch', 'checkpoint_head_mismatch', 'chain_ends_before_checkpoint', 'checkpoint_overdue', 'checkpoint_missing'])
    .optional()
    .describe('why not, when not intact'),
  reason: z.string().optional(),
  firstBrokenId: z.number().int().nullable().optional().describe('the row where it shows, when one does'),
  checkpoint: z
    .object({ lastId: z.number().int(), count: z.number().int(), at: z.string(), keyId: z.string(), ageSeconds: z.number().int().describe('a cut of rows appended since could go unseen: the window') })
    .nullable()
    .describe('the newest checkpoint kept outside Postgres; null before the first'),
});

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });
/** Every /v1 route, the sign-in form included, answers this to a client over its limit of failed sign-ins. */
const signInBlocked = problem('`too_many_failed_authentications`: this client address failed to sign in too often in the last minute; see Retry-After');
const errors = {
  400: problem('the body is not valid JSON'),
  401: problem('no or invalid credential: `unauthenticated`, `invalid_token` (bad signature, issuer, audience or algorithm; no `sub`, `iat` or `exp`; a lifetime over the maximum), `token_expired`, `invalid_api_key` (unknown or revoked)'),
  403: problem('the role or the resource is not yours; or, checked on every request, the credential’s holder is no longer current: `account_deactivated` (a deactivated broker), `account_unknown`, `channel_suspended` (every key and token of a suspended channel), `channel_unknown`'),
  422: problem('invalid input or a business rule refused it'),
  413: problem('body too large'),
  415: problem('the body is not application/json'),
  429: problem('too many requests: `rate_limited`, `too_many_failed_authentications` (this address), `too_many_refusals` (this caller); see Retry-After'),
  503: problem('Postgres or Temporal unreachable; retry'),
};
const caseErrors = { ...errors, 404: problem('no such case'), 409: problem('not possible in the case’s stage'), 503: problem('Temporal or Postgres unreachable') };

interface RouteDoc {
  method: RouteConfig['method'];
  path: string;
  summary: string;
  roles: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  ok: [number, z.ZodType, string];
  /** A second success answer (e.g. 202 for work that carries on after the answer). */
  alsoOk?: [number, z.ZodType, string];
  /** Defaults to application/json. */
  bodyType?: string;
  okType?: string;
  errors?: Record<number, ReturnType<typeof problem>>;
  idempotent?: boolean;
}

const idParams = caseIdParams;
const caseAction = (path: string, summary: string, roles: string, body: z.ZodType, status = 200): RouteDoc => ({
  method: 'post', path: `/v1/leads/{id}/${path}`, summary, roles, params: idParams, body, ok: [status, caseStateSchema, 'the case after the action'], errors: caseErrors,
});

const complaintErrors = { ...errors, 404: problem('no such complaint, or no such case'), 409: problem('not possible in the complaint’s state'), 503: problem('Temporal or Postgres unreachable') };

export const ROUTE_DOCS: RouteDoc[] = [
  { method: 'post', path: '/v1/leads', summary: 'Submit a lead (intake)', roles: 'channel (own), broker, manager, admin', body: intakeSchema, ok: [201, intakeResultSchema, 'a new case'], errors: { ...caseErrors }, idempotent: true },
  { method: 'get', path: '/v1/leads', summary: 'List cases (newest first, cursor pagination)', roles: 'all; brokers see their own, channels their channel’s', query: listQuerySchema, ok: [200, listSchema, 'a page'], errors },
  { method: 'get', path: '/v1/leads/{id}', summary: 'One case, personal data masked', roles: 'all; brokers and channels their own', params: idParams, ok: [200, caseViewSchema, 'the case'], errors: caseErrors },
  { method: 'get', path: '/v1/leads/{id}/pii', summary: 'The unmasked identity, audited with its purpose', roles: 'broker (own), risk_officer, manager, compliance', params: idParams, query: piiQuerySchema, ok: [200, anyObject, 'the identity'], errors: { ...caseErrors, 410: problem('erased') } },
  caseAction('consents', 'Grant consent for purposes, to a notice version', 'channel (own), broker (own)', consentGrantSchema),
  caseAction('consents/withdraw', 'Withdraw consent; credit_assessment ends the case and erases its data', 'channel (own), broker (own), compliance', withdrawSchema),
  caseAction('review', 'Decide a tier-B case', 'risk_officer', reviewSchema),
  { method: 'get', path: '/v1/leads/{id}/decision', summary: 'Explanation of the automated decisions', roles: 'compliance, channel (own), manager, risk_officer', params: idParams, ok: [200, decisionViewSchema, 'rules fired, what they mean, how to ask for a human review'], errors: caseErrors },
  caseAction('human-review', 'Ask a person to look again at an automated decline', 'compliance, channel (own)', humanReviewSchema),
  caseAction('contact-attempts', 'Log a contact attempt (refused in quiet hours, over the cap, after do-not-contact)', 'assigned broker', contactAttemptSchema, 201),
  caseAction('do-not-contact', 'The customer asks not to be contacted', 'broker (own), manager, compliance', emptySchema),
  caseAction('selection', 'Record the customer’s product choice (one of the matches)', 'assigned broker', selectionSchema),
  caseAction('outcome', 'Record the case’s outcome', 'assigned broker', outcomeSchema),
  caseAction('assignment', 'Reassign a case, or return it to the shared pool (brokerId null)', 'manager', assignmentSchema),
  {
    ...caseAction('legal-hold', 'Place or release a legal hold (pauses erasure). On a case whose workflow ended without erasing it, the hold goes on the case row, which the retention sweep honours, and the answer is the case as GET /leads/{id} shows it', 'compliance', legalHoldSchema),
    ok: [200, z.union([caseStateSchema, caseViewSchema]), 'the case after the action'],
  },
  { method: 'post', path: '/v1/brokers/{id}/offboarding', summary: 'Hand over every open case of a leaving broker, who is deactivated at once (refused from their next request)', roles: 'manager', params: z.object({ id: z.string() }), body: emptySchema, ok: [202, anyObject, 'the hand-over workflow started'], errors: { ...errors, 404: problem('no such broker') } },
  { method: 'get', path: '/v1/leads/{id}/legal-holds', summary: 'The legal holds placed on and released from a case, with their reasons (null once the case is erased); the read is audited', roles: 'compliance', params: idParams, ok: [200, anyObject, 'the holds'], errors: caseErrors },
  { method: 'get', path: '/v1/post-loan/check-ins', summary: 'Post-loan check-in calls (贷后回访), soonest due first', roles: 'broker (own), manager, compliance', query: checkInListQuerySchema, ok: [200, anyObject, 'the check-ins'], errors },
  { method: 'post', path: '/v1/leads/{id}/check-ins/{day}', summary: 'Record one post-loan check-in call: not reached, or reached with the customer’s answers (a problem notifies compliance)', roles: 'broker (the check-in’s), manager (any)', params: checkInParams, body: checkInCallSchema, ok: [200, anyObject, 'the check-in after the call'], errors: { ...caseErrors, 404: problem('no such case or check-in'), 409: problem('the check-in is closed, the consent withdrawn or the case erased'), 422: problem('invalid input, or the contact rules refuse the call now (do_not_contact, quiet_hours, daily_cap_reached)') } },
  { method: 'get', path: '/v1/leads/{id}/export', summary: 'Data-subject copy: everything held about the person (audited)', roles: 'compliance', params: idParams, ok: [200, anyObject, 'the copy'], errors: caseErrors },
  { method: 'post', path: '/v1/complaints', summary: 'File a complaint about a case or a customer with no case; the rules may raise its priority; harassment about contact puts the case on do-not-contact first', roles: 'broker (own cases), channel (its channel’s cases), compliance', body: complaintFilingSchema, ok: [201, complaintViewSchema, 'the complaint, with its deadlines'], errors: complaintErrors },
  { method: 'get', path: '/v1/complaints', summary: 'List complaints (newest first, cursor pagination)', roles: 'broker (complaints about his cases), channel (its channel’s), manager, compliance', query: complaintListQuerySchema, ok: [200, complaintListSchema, 'a page'], errors },
  { method: 'get', path: '/v1/complaints/{id}', summary: 'One complaint with its events; its text for compliance, managers and the case’s broker (audited)', roles: 'broker (own), channel (own), manager, compliance', params: complaintIdParams, ok: [200, complaintDetailSchema, 'the complaint'], errors: complaintErrors },
  { method: 'post', path: '/v1/complaints/{id}/first-response', summary: 'Record the first response to the customer', roles: 'broker (own cases), manager, compliance', params: complaintIdParams, body: firstResponseSchema, ok: [200, complaintViewSchema, 'the complaint afterwards'], errors: complaintErrors },
  { method: 'post', path: '/v1/complaints/{id}/escalation', summary: 'Escalate a complex complaint to a cross-team group', roles: 'manager, compliance', params: complaintIdParams, body: complaintEscalationSchema, ok: [200, complaintViewSchema, 'the complaint afterwards'], errors: complaintErrors },
  { method: 'post', path: '/v1/complaints/{id}/close', summary: 'Close with the resolution and the customer’s satisfaction; dissatisfied reopens it once', roles: 'manager, compliance', params: complaintIdParams, body: complaintCloseSchema, ok: [200, complaintViewSchema, 'the complaint afterwards (closed, or reopened)'], errors: complaintErrors },
  { method: 'post', path: '/v1/complaints/{id}/legal-hold', summary: 'Place or release a legal hold on a complaint without a case: its description is kept past retention while it lasts', roles: 'compliance', params: complaintIdParams, body: legalHoldSchema, ok: [200, anyObject, 'the complaint'], errors: complaintErrors },
  { method: 'get', path: '/v1/reports/complaints', summary: 'Complaint volumes, first-response times (median, p90), late responses and resolutions, satisfaction, by category, priority, channel or broker', roles: 'manager, compliance', query: complaintReportQuerySchema, ok: [200, complaintReportSchema, 'the report'], errors },
  { method: 'get', path: '/v1/reports/funnel', summary: 'Funnel: counts and conversion by channel or broker for a period, optionally split by day, week or month', roles: 'manager', query: funnelQuerySchema, ok: [200, anyObject, 'the report'], errors },
  { method: 'get', path: '/v1/reports/channels', summary: 'Every channel’s figures for a period beside its grade and suspension', roles: 'manager', query: reportPeriodQuerySchema, ok: [200, anyObject, 'the report'], errors },
  { method: 'get', path: '/v1/reports/sla-breaches', summary: 'SLA breaches and reassignments by broker in a period, and cases overdue now', roles: 'manager', query: reportPeriodQuerySchema, ok: [200, anyObject, 'the report'], errors },
  { method: 'post', path: '/v1/channels/reviews', summary: 'Run the channel review now (the daily schedule’s workflow) and answer with its result', roles: 'manager, admin', body: channelReviewRequestSchema, ok: [200, anyObject, 'the review: channels graded, changed, suspended, overridden'],
    alsoOk: [202, z.object({ reviewId: z.string(), running: z.literal(true) }), 'the review had not finished within 60 s; it carries on and applies its gradings (read them at /v1/channels/{id}/gradings)'],
    errors: { ...errors, 503: problem('Temporal unreachable (nothing started), or the review failed part-way (gradings it applied stay): retry') } },
  { method: 'get', path: '/v1/channels/{id}', summary: 'One channel: grade, suspension, override, last grading', roles: 'manager, admin, channel (own)', params: channelIdParams, ok: [200, anyObject, 'the channel'], errors: { ...errors, 404: problem('no such channel') } },
  { method: 'get', path: '/v1/channels/{id}/figures', summary: 'A channel’s figures over time: leads, consent, tiers, approvals, NPL, fraud, cost per conversion', roles: 'manager, admin, channel (own)', params: channelIdParams, query: channelFiguresQuerySchema, ok: [200, anyObject, 'totals and a series by period'], errors: { ...errors, 404: problem('no such channel') } },
  { method: 'get', path: '/v1/channels/{id}/gradings', summary: 'A channel’s gradings and overrides, newest first, with the figures behind each', roles: 'manager, admin, channel (own)', params: channelIdParams, query: gradingsQuerySchema, ok: [200, anyObject, 'items'], errors: { ...errors, 404: problem('no such channel') } },
  { method: 'post', path: '/v1/channels/{id}/override', summary: 'Override a channel’s grade or suspension, with a reason (audited)', roles: 'manager', params: channelIdParams, body: channelOverrideSchema, ok: [200, anyObject, 'the channel'], errors: { ...errors, 404: problem('no such channel') } },
  { method: 'post', path: '/v1/channels/{id}/override/clear', summary: 'End a channel’s override; the next review decides again (audited)', roles: 'manager', params: channelIdParams, body: clearOverrideSchema, ok: [200, anyObject, 'the channel'], errors: { ...errors, 404: problem('no such channel'), 409: problem('no override') } },
  { method: 'post', path: '/v1/leads/{id}/loan-performance', summary: 'A lender’s report on the loan made on a case (feeds the channel’s NPL)', roles: 'risk_officer, admin', params: idParams, body: loanPerformanceSchema, ok: [200, anyObject, 'the report as stored'], errors: { ...caseErrors, 409: problem('the case has no loan') } },
  { method: 'post', path: '/v1/lenders', summary: 'Create or replace a lender', roles: 'admin', body: lenderSchema, ok: [200, lenderSchema, 'replaced'], errors: { ...errors, 201: json(lenderSchema, 'created') } as never },
  { method: 'post', path: '/v1/products', summary: 'Create or replace a product', roles: 'admin', body: productSchema, ok: [200, productSchema, 'replaced'], errors: { ...errors, 201: json(productSchema, 'created') } as never },
  { method: 'post', path: '/v1/channels', summary: 'Create or replace a channel (grade, suspension)', roles: 'admin', body: channelSchema, ok: [200, channelSchema, 'replaced'], errors: { ...errors, 201: json(channelSchema, 'created') } as never },
  { method: 'post', path: '/v1/brokers', summary: 'Create or replace a broker; deactivating one (active: false) ends their access at their next request and hands over their open cases as offboarding does', roles: 'admin, manager', body: brokerSchema, ok: [200, brokerSavedSchema, 'replaced'], errors: { ...errors, 201: json(brokerSavedSchema, 'created'), 409: problem('`offboarding_in_progress`: reactivating a broker whose hand-over is still running; retry when it has finished'), 503: problem('Temporal unreachable: the broker is deactivated but the hand-over has not started; send the same request again') } as never },
  { method: 'get', path: '/v1/lenders', summary: 'Lenders', roles: 'admin, manager', ok: [200, anyObject, 'items'], errors },
  { method: 'get', path: '/v1/products', summary: 'Products of licensed lenders', roles: 'admin, manager', ok: [200, anyObject, 'items'], errors },
  { method: 'get', path: '/v1/channels', summary: 'Channels and their grades', roles: 'admin, manager', ok: [200, anyObject, 'items'], errors },
  { method: 'get', path: '/v1/brokers', summary: 'Brokers and their open cases', roles: 'admin, manager', ok: [200, anyObject, 'items'], errors },
  { method: 'get', path: '/v1/channels/{id}/api-keys', summary: 'A channel’s API keys and their state (never the secrets)', roles: 'admin', params: channelIdParams, ok: [200, anyObject, 'items'], errors: { ...errors, 404: problem('no such channel') } },
  { method: 'post', path: '/v1/channels/{id}/api-keys', summary: 'Issue an API key for a channel (shown once; audited)', roles: 'admin', params: channelIdParams, body: apiKeyCreateSchema, ok: [201, anyObject, 'the key'], errors: { ...errors, 404: problem('no such channel') } },
  { method: 'post', path: '/v1/channels/{id}/api-keys/{keyId}/revoke', summary: 'Revoke a channel’s API key, now or at a set time within 72 hours (audited)', roles: 'admin', params: apiKeyParams, body: apiKeyRevokeSchema, ok: [200, anyObject, 'the key'], errors: { ...errors, 404: problem('no such channel or key'), 409: problem('already revoked, or the revocation would be put off') } },
  { method: 'post', path: '/v1/channels/{id}/api-keys/{keyId}/rotate', summary: 'Issue a new key in an active key’s place; the old one works for an overlap (audited)', roles: 'admin', params: apiKeyParams, body: apiKeyRotateSchema, ok: [201, anyObject, 'the new key (shown once) and the replaced one'], errors: { ...errors, 404: problem('no such channel or key'), 409: problem('the key is revoked or already being replaced') } },
  { method: 'get', path: '/v1/consent-notices', summary: 'Published consent notice versions, newest first (without their texts)', roles: 'anyone signed in', ok: [200, anyObject, 'items'], errors },
  { method: 'get', path: '/v1/consent-notices/{version}', summary: 'One consent notice version with its text and content hash', roles: 'anyone signed in', params: noticeVersionParams, ok: [200, anyObject, 'the notice'], errors: { ...errors, 404: problem('no such version') } },
  { method: 'post', path: '/v1/consent-notices', summary: 'Publish a consent notice version; a published text never changes (audited)', roles: 'compliance', body: noticePublishSchema, ok: [201, anyObject, 'published'], errors: { ...errors, 200: json(anyObject, 'the same version and text again'), 409: problem('the version exists with another text') } as never },
  { method: 'post', path: '/v1/blacklist', summary: 'List a person’s ID number and/or phone (stored as blind indexes) with a reason code (audited)', roles: 'risk_officer, compliance', body: blacklistAddSchema, ok: [200, anyObject, 'what was added and what was listed already'], errors },
  { method: 'post', path: '/v1/blacklist/remove', summary: 'Take a person off the blacklist, with a reason code (audited)', roles: 'risk_officer, compliance', body: blacklistRemoveSchema, ok: [200, anyObject, 'what was removed'], errors },
  { method: 'post', path: '/v1/blacklist/check', summary: 'Whether a person is listed, and why (audited)', roles: 'risk_officer, compliance', body: blacklistCheckSchema, ok: [200, anyObject, 'listed, per kind'], errors },
  { method: 'post', path: '/v1/lender-applications', summary: 'Record applications people made at lenders (ID numbers stored as blind indexes), for the multi-lender rule; a repeat counts once (audited)', roles: 'risk_officer, admin', body: lenderApplicationsSchema, ok: [200, anyObject, 'recorded and duplicates'], errors },
  { method: 'post', path: '/v1/marketing-texts/check', summary: 'Violations in a marketing text', roles: 'anyone signed in', body: marketingTextSchema, ok: [200, anyObject, 'violations with positions'], errors },
  { method: 'get', path: '/v1/audit', summary: 'The audit trail', roles: 'compliance', query: auditQuerySchema, ok: [200, anyObject, 'events, newest first'], errors },
  { method: 'get', path: '/v1/audit/verify', summary: 'Verify the keyed audit chain and that it still reaches the newest checkpoint kept outside Postgres (a truncation, a cut tail or a rewrite shows); says how old that checkpoint is, and answers intact: false (checkpoint_overdue, checkpoint_missing) when rows have waited over 15 minutes for one', roles: 'compliance', ok: [200, auditVerifySchema, 'intact, or why not'], errors: { ...errors, 503: problem('`audit_anchor_unavailable`: the anchor (Temporal) cannot be reached; or Postgres unreachable') } },
  { method: 'post', path: '/v1/audit/checkpoints', summary: 'Take a signed checkpoint of the audit chain head now and record it in the anchor outside Postgres', roles: 'compliance', ok: [201, auditCheckpointSchema, 'the checkpoint, recorded'], errors: { ...errors, 409: problem('`audit_chain_cut`: the trail no longer reaches the newest checkpoint, so no new one is signed over the cut'), 503: problem('`audit_anchor_unavailable`: the anchor (Temporal) cannot be reached; or Postgres unreachable') } },
  { method: 'post', path: '/v1/codec/encode', summary: 'Payload codec for the Web UI: encrypt', roles: 'manager, compliance (bearer token or session cookie)', body: codecPayloads, ok: [200, codecPayloads, 'encoded payloads'], errors },
  { method: 'post', path: '/v1/codec/decode', summary: 'Payload codec for the Web UI: decrypt (audited)', roles: 'manager, compliance (bearer token or session cookie)', body: codecPayloads, ok: [200, codecPayloads, 'decoded payloads'], errors },
  { method: 'get', path: '/v1/session', summary: 'Sign-in form for the Web UI codec', roles: 'anyone', ok: [200, z.string(), 'an HTML form'], okType: 'text/html', errors: { 429: signInBlocked } },
  { method: 'post', path: '/v1/session', summary: 'Sign in: sets the session cookie the Web UI sends to the codec, then redirects to the UI', roles: 'manager, compliance', body: z.object({ token: z.string() }), bodyType: 'application/x-www-form-urlencoded', ok: [303, z.string(), 'to the Web UI'], okType: 'text/plain', errors },
  { method: 'get', path: '/v1/session/current', summary: 'Who the Web UI session cookie signs in (the Web UI gateway asks)', roles: 'manager, compliance (session cookie)', ok: [200, z.object({ sub: z.string(), role: z.string() }), 'the session’s actor'], errors },
  { method: 'post', path: '/v1/session/sign-out', summary: 'Sign out: ends the Web UI session and clears its cookie, then redirects to the sign-in form', roles: 'anyone', ok: [303, z.string(), 'to the sign-in form'], okType: 'text/plain', errors: { 429: signInBlocked } },
  { method: 'get', path: '/healthz', summary: 'Liveness', roles: 'anyone', ok: [200, anyObject, 'ok'], errors: { 429: problem('rate limit') } },
  { method: 'get', path: '/readyz', summary: 'Readiness: Postgres and Temporal', roles: 'anyone', ok: [200, anyObject, 'ready'], errors: { 503: { description: 'not ready; says which part', content: { 'application/json': { schema: anyObject } } } as never } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', roles: 'ops (network-restricted)', ok: [200, z.string(), 'text exposition format'] },
];

export function buildOpenApiDocument(): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: `claims: sub, role (${ROLES.join(', ')}), team, channelId` });
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'a channel partner’s key, tied to one channel' });
  for (const r of ROUTE_DOCS) {
    const isPublic = ['/healthz', '/readyz', '/metrics', '/v1/session', '/v1/session/current', '/v1/session/sign-out'].includes(r.path);
    registry.registerPath({
      method: r.method,
      path: r.path,
      summary: r.summary,
      description: `Who: ${r.roles}.`,
      security: isPublic ? [] : [{ bearer: [] }, { apiKey: [] }],
      request: {
        params: r.params,
        query: r.query,
        headers: r.idempotent || r.method === 'post' ? z.object({ 'Idempotency-Key': z.string().max(128).optional() }) : undefined,
        body: r.body ? { content: { [r.bodyType ?? 'application/json']: { schema: r.body } }, required: true } : undefined,
      },
      responses: {
        [r.ok[0]]: r.okType || r.path === '/metrics' ? { description: r.ok[2], content: { [r.okType ?? 'text/plain']: { schema: r.ok[1] } } } : json(r.ok[1], r.ok[2]),
        ...(r.idempotent ? { 200: json(intakeResultSchema, 'a replay of the first answer, or the open case of the same person (duplicate: true)') } : {}),
        ...(r.alsoOk ? { [r.alsoOk[0]]: json(r.alsoOk[1], r.alsoOk[2]) } : {}),
        ...(r.errors ?? {}),
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Lead case engine API',
      version: '1.0.0',
      description: 'Brokers, risk officers, managers, compliance and channel partners act on lead cases. Errors are application/problem+json with a stable `code`.',
    },
    servers: [{ url: '/' }],
  }) as unknown as Record<string, unknown>;
}
