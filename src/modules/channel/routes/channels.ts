import { z } from 'zod';
import {
  channelFiguresOverTime,
  channelGradings,
  channelsReport,
  clearChannelOverride,
  getChannel,
  overrideChannel,
  recordLoanPerformance,
  runChannelReview,
} from '../service/channels';
import type { CaseDeps } from '../../lead/service/cases';
import { slaBreachReport } from '../../lead/service/reports';
import { actorOf } from '../../../platform/http/auth';
import {
  channelFiguresQuerySchema,
  channelIdParams,
  channelOverrideSchema,
  channelReviewRequestSchema,
  clearOverrideSchema,
  gradingsQuerySchema,
  loanPerformanceSchema,
  reportPeriodQuerySchema,
} from '../schemas';
import { anyObject, caseErrors, errors, json, problem } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import { caseIdParams } from '../../lead/schemas/leads';

const noSuchChannel = { ...errors, 404: problem('no such channel') };

/** Channel reviews and figures (渠道把关), lenders' loan reports, and the managers' channel and SLA reports. */
export function channelRoutes(deps: CaseDeps): Route[] {
  return [...channelReviewRoutes(deps), ...channelOverrideRoutes(deps), ...loanPerformanceAndReportRoutes(deps)];
}

/** The channel review, and a channel as it reads: grade, figures over time, gradings. */
function channelReviewRoutes(deps: CaseDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/channels/reviews',
      summary: 'Run the channel review now (the daily schedule’s workflow) and answer with its result',
      roles: ['manager', 'admin'],
      request: { body: channelReviewRequestSchema },
      responses: {
        200: json(anyObject, 'the review: channels graded, changed, suspended, overridden'),
        202: json(
          z.object({ reviewId: z.string(), running: z.literal(true) }),
          'the review had not finished within 60 s; it carries on and applies its gradings (read them at /v1/channels/{id}/gradings)',
        ),
        ...errors,
        503: problem(
          'Temporal unreachable (nothing started), or the review failed part-way (gradings it applied stay): retry',
        ),
      },
      handler: async ({ body }, req, res) => {
        const { status, body: answer } = await runChannelReview(deps, actorOf(req), body.channelIds);
        res.status(status).json(answer);
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/channels/{id}',
      summary: 'One channel: grade, suspension, override, last grading',
      roles: ['manager', 'admin', 'channel'],
      own: ['channel'],
      request: { params: channelIdParams },
      responses: { 200: json(anyObject, 'the channel'), ...noSuchChannel },
      handler: async ({ params }, req, res) => {
        res.json(await getChannel(deps, actorOf(req), params.id));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/channels/{id}/figures',
      summary: 'A channel’s figures over time: leads, consent, tiers, approvals, NPL, fraud, cost per conversion',
      roles: ['manager', 'admin', 'channel'],
      own: ['channel'],
      request: { params: channelIdParams, query: channelFiguresQuerySchema },
      responses: { 200: json(anyObject, 'totals and a series by period'), ...noSuchChannel },
      handler: async ({ params, query }, req, res) => {
        res.json(await channelFiguresOverTime(deps, actorOf(req), params.id, query));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/channels/{id}/gradings',
      summary: 'A channel’s gradings and overrides, newest first, with the figures behind each',
      roles: ['manager', 'admin', 'channel'],
      own: ['channel'],
      request: { params: channelIdParams, query: gradingsQuerySchema },
      responses: { 200: json(anyObject, 'items'), ...noSuchChannel },
      handler: async ({ params, query }, req, res) => {
        res.json(await channelGradings(deps, actorOf(req), params.id, query.limit));
      },
    }),
  ];
}

/** A manager overriding a channel’s grade or suspension, and ending the override. */
function channelOverrideRoutes(deps: CaseDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/channels/{id}/override',
      summary: 'Override a channel’s grade or suspension, with a reason (audited)',
      roles: ['manager'],
      request: { params: channelIdParams, body: channelOverrideSchema },
      responses: { 200: json(anyObject, 'the channel'), ...noSuchChannel },
      handler: async ({ params, body }, req, res) => {
        res.json(await overrideChannel(deps, actorOf(req), params.id, body));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/channels/{id}/override/clear',
      summary: 'End a channel’s override; the next review decides again (audited)',
      roles: ['manager'],
      request: { params: channelIdParams, body: clearOverrideSchema },
      responses: { 200: json(anyObject, 'the channel'), ...noSuchChannel, 409: problem('no override') },
      handler: async ({ params, body }, req, res) => {
        res.json(await clearChannelOverride(deps, actorOf(req), params.id, body.reason));
      },
    }),
  ];
}

/** Lenders’ loan reports, and the managers’ channel and SLA reports. */
function loanPerformanceAndReportRoutes(deps: CaseDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/loan-performance',
      summary: 'A lender’s report on the loan made on a case (feeds the channel’s NPL)',
      roles: ['risk_officer', 'admin'],
      request: { params: caseIdParams, body: loanPerformanceSchema },
      responses: { 200: json(anyObject, 'the report as stored'), ...caseErrors, 409: problem('the case has no loan') },
      handler: async ({ params, body }, req, res) => {
        res.json(await recordLoanPerformance(deps, actorOf(req), params.id, body));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/reports/channels',
      summary: 'Every channel’s figures for a period beside its grade and suspension',
      roles: ['manager'],
      request: { query: reportPeriodQuerySchema },
      responses: { 200: json(anyObject, 'the report'), ...errors },
      handler: async ({ query }, _req, res) => {
        res.json(await channelsReport(deps, query));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/reports/sla-breaches',
      summary: 'SLA breaches and reassignments by broker in a period, and cases overdue now',
      roles: ['manager'],
      request: { query: reportPeriodQuerySchema },
      responses: { 200: json(anyObject, 'the report'), ...errors },
      handler: async ({ query }, _req, res) => {
        res.json(await slaBreachReport(deps.db, query));
      },
    }),
  ];
}
