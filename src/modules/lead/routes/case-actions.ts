import { DomainError } from '../../../platform/domain/errors';
import { checkMarketingText } from '../rules/marketing-text';
import { assertBrokerAssignable, startBrokerOffboarding } from '../../broker/service';
import { actOnCase, attachContactNote, attachDecisionReason, auditAction, type CaseDeps } from '../service/cases';
import { getDecision } from '../service/decisions';
import { assertLenderListsUs } from '../service/submission';
import { assertLendersConsentable } from '../service/lender-sharing';
import { assertNoticePublished } from '../../reference/service/compliance-data';
import {
  assignmentUpdate,
  contactAttemptUpdate,
  doNotContactUpdate,
  grantConsentUpdate,
  humanReviewUpdate,
  outcomeUpdate,
  reviewUpdate,
  selectionUpdate,
  withdrawConsentUpdate,
} from '../messages';
import { actorOf } from '../../../platform/http/auth';
import { anyObject, caseErrors, errors, json, problem } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import { afterAction, caseAccess } from './case-access';
import {
  assignmentSchema,
  brokerIdParams,
  caseIdParams,
  caseStateSchema,
  contactAttemptSchema,
  decisionViewSchema,
  emptySchema,
  humanReviewSchema,
  outcomeSchema,
  reviewSchema,
  selectionSchema,
} from '../schemas/leads';
import { lenderConsentGrantSchema, lenderWithdrawSchema } from '../schemas/lender-sharing';

/** The actions on a case, by area, in the order they are matched. Each handler: call one function, answer. */
export function caseActionRoutes(deps: CaseDeps): Route[] {
  return [
    ...consentRoutes(deps),
    ...reviewRoutes(deps),
    ...contactRoutes(deps),
    ...outcomeRoutes(deps),
    ...assignmentRoutes(deps),
  ];
}

/** Consent: granted to a published notice version, or withdrawn. */
function consentRoutes(deps: CaseDeps): Route[] {
  const { caseOf } = caseAccess(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/consents',
      summary: 'Grant consent for purposes, to a notice version; lender_sharing names its lenders (lenderIds)',
      roles: ['channel', 'broker'],
      own: ['channel', 'broker'],
      request: { params: caseIdParams, body: lenderConsentGrantSchema },
      responses: afterAction,
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        await assertNoticePublished(deps.db, body.noticeVersion);
        await assertLendersConsentable(deps, body.noticeVersion, body.lenderIds);
        const result = await actOnCase(deps, id, grantConsentUpdate, body, actorOf(req), req.idempotency?.updateId);
        // The workflow audits the grant with its consent rows, naming the verified actor.
        res.json(result.state);
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/consents/withdraw',
      summary: 'Withdraw consent; credit_assessment ends the case and erases its data; lenderIds, those lenders only',
      roles: ['channel', 'broker', 'compliance'],
      own: ['channel', 'broker'],
      request: { params: caseIdParams, body: lenderWithdrawSchema },
      responses: afterAction,
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        const result = await actOnCase(deps, id, withdrawConsentUpdate, body, actorOf(req), req.idempotency?.updateId);
        res.json(result.state);
      },
    }),
  ];
}

/** Review of the automated decision: a tier-B decision, its explanation, and a request for a person to look again. */
function reviewRoutes(deps: CaseDeps): Route[] {
  const { caseOf } = caseAccess(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/review',
      summary: 'Decide a tier-B case',
      roles: ['risk_officer'],
      request: { params: caseIdParams, body: reviewSchema },
      responses: afterAction,
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        const result = await actOnCase(
          deps,
          id,
          reviewUpdate,
          { decision: body.decision },
          actorOf(req),
          req.idempotency?.updateId,
        );
        // The reason is free text a person typed: it stays in Postgres, beside the decision the workflow recorded.
        await attachDecisionReason(deps.db, id, result.eventId, body.reason);
        res.json(result.state);
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/leads/{id}/decision',
      summary: 'Explanation of the automated decisions',
      roles: ['compliance', 'channel', 'manager', 'risk_officer'],
      own: ['channel'],
      request: { params: caseIdParams },
      responses: {
        200: json(decisionViewSchema, 'rules fired, what they mean, how to ask for a human review'),
        ...caseErrors,
      },
      handler: async ({ params }, req, res) => {
        // Explanations are for people: in the caller's language (zh-CN unless English is preferred).
        const lang = req.acceptsLanguages('zh-CN', 'zh', 'en') === 'en' ? 'en' : 'zh-CN';
        res.json(await getDecision(deps, actorOf(req), await caseOf(req, params.id), lang));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/human-review',
      summary: 'Ask a person to look again at an automated decline',
      roles: ['compliance', 'channel'],
      own: ['channel'],
      request: { params: caseIdParams, body: humanReviewSchema },
      responses: afterAction,
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        const result = await actOnCase(deps, id, humanReviewUpdate, {}, actorOf(req), req.idempotency?.updateId);
        if (body.reason) await attachDecisionReason(deps.db, id, result.eventId, body.reason);
        res.json(result.state);
      },
    }),
  ];
}

/** Follow-up contact: an attempt logged, or the customer asking not to be contacted. */
function contactRoutes(deps: CaseDeps): Route[] {
  const { caseOf, authorisedByWorkflow } = caseAccess(deps);
  return [
    // A broker's most frequent action. The workflow checks that the broker is the case's assigned one
    // and writes the audit row with the log entry, so an accepted attempt needs no read of the case
    // row here and no second write; a refused one is answered as the read would answer first.
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/contact-attempts',
      summary: 'Log a contact attempt (refused in quiet hours, over the cap, after do-not-contact)',
      roles: ['broker'],
      own: ['broker'],
      request: { params: caseIdParams, body: contactAttemptSchema },
      responses: { 201: json(caseStateSchema, 'the case after the action'), ...caseErrors },
      handler: async ({ params: { id }, body }, req, res) => {
        const result = await authorisedByWorkflow(req, id, async () => {
          if (body.purpose === 'marketing' && body.marketingText !== undefined) {
            const check = checkMarketingText(body.marketingText);
            if (!check.ok)
              throw new DomainError('marketing_text_violation', 'the marketing text breaks the advertising rules', {
                violations: check.violations,
              });
          }
          const attempt = { channel: body.channel, purpose: body.purpose, outcome: body.outcome };
          return actOnCase(deps, id, contactAttemptUpdate, attempt, actorOf(req), req.idempotency?.updateId);
        });
        if (body.note) await attachContactNote(deps.db, id, result.eventId, body.note);
        res.status(201).json(result.state);
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/do-not-contact',
      summary: 'The customer asks not to be contacted',
      roles: ['broker', 'manager', 'compliance'],
      own: ['broker'],
      request: { params: caseIdParams, body: emptySchema },
      responses: afterAction,
      handler: async ({ params }, req, res) => {
        const id = await caseOf(req, params.id);
        const actor = actorOf(req);
        const result = await actOnCase(deps, id, doNotContactUpdate, {}, actor, req.idempotency?.updateId);
        await auditAction(deps, actor, 'contact.do_not_contact', id);
        res.json(result.state);
      },
    }),
  ];
}

/** The case moving on: the product the customer chose, and the outcome. */
function outcomeRoutes(deps: CaseDeps): Route[] {
  const { caseOf } = caseAccess(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/selection',
      summary: 'Record the customer’s product choice (one of the matches)',
      roles: ['broker'],
      own: ['broker'],
      request: { params: caseIdParams, body: selectionSchema },
      responses: afterAction,
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        await assertLenderListsUs(deps, id, body.productId);
        const actor = actorOf(req);
        const result = await actOnCase(
          deps,
          id,
          selectionUpdate,
          { productId: body.productId },
          actor,
          req.idempotency?.updateId,
        );
        await auditAction(deps, actor, 'case.product_selected', id, { productId: body.productId });
        res.json(result.state);
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/outcome',
      summary: 'Record the case’s outcome',
      roles: ['broker'],
      own: ['broker'],
      request: { params: caseIdParams, body: outcomeSchema },
      responses: afterAction,
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        if (body.outcome === 'submitted') await assertLenderListsUs(deps, id);
        const actor = actorOf(req);
        const result = await actOnCase(
          deps,
          id,
          outcomeUpdate,
          { outcome: body.outcome },
          actor,
          req.idempotency?.updateId,
        );
        await auditAction(deps, actor, 'case.outcome', id, { outcome: body.outcome });
        res.json(result.state);
      },
    }),
  ];
}

/** Who works the case: a reassignment, or a leaving broker handing over every open case. */
function assignmentRoutes(deps: CaseDeps): Route[] {
  const { caseOf } = caseAccess(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/assignment',
      summary: 'Reassign a case, or return it to the shared pool (brokerId null)',
      roles: ['manager'],
      request: { params: caseIdParams, body: assignmentSchema },
      responses: afterAction,
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        if (body.brokerId) await assertBrokerAssignable(deps.db, body.brokerId);
        const actor = actorOf(req);
        const result = await actOnCase(
          deps,
          id,
          assignmentUpdate,
          { brokerId: body.brokerId },
          actor,
          req.idempotency?.updateId,
        );
        await auditAction(deps, actor, 'case.reassigned', id, { brokerId: body.brokerId });
        res.json(result.state);
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/brokers/{id}/offboarding',
      summary:
        'Hand over every open case of a leaving broker, who is deactivated at once (refused from their next request)',
      roles: ['manager'],
      request: { params: brokerIdParams, body: emptySchema },
      responses: { 202: json(anyObject, 'the hand-over workflow started'), ...errors, 404: problem('no such broker') },
      handler: async ({ params }, req, res) => {
        res.status(202).json(await startBrokerOffboarding(deps, actorOf(req), params.id));
      },
    }),
  ];
}
