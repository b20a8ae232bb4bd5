import { DomainError } from '../../platform/domain/errors';
import { complaintReport } from './service/reports';
import {
  actOnComplaint,
  complaintFor,
  fileComplaint,
  getComplaint,
  listComplaints,
  type ComplaintDeps,
} from './service/complaints';
import { closeComplaintUpdate, complaintLegalHoldUpdate, escalateToGroupUpdate, firstResponseUpdate } from './messages';
import { actorOf } from '../../platform/http/auth';
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
} from './schemas';
import { anyObject, errors, json, problem } from '../../platform/http/openapi';
import { defineRoute, type Route } from '../../platform/http/route';
import { legalHoldSchema } from '../lead/schemas/leads';

const complaintErrors = {
  ...errors,
  404: problem('no such complaint, or no such case'),
  409: problem('not possible in the complaint’s state'),
  503: problem('Temporal or Postgres unreachable'),
};
const afterAction = (description: string) => ({ 200: json(complaintViewSchema, description), ...complaintErrors });

/**
 * The complaint routes (客诉). Each handler: call one function, answer.
 * Idempotency-Key works here as on every POST (src/platform/http/idempotency.ts).
 */
export function complaintRoutes(deps: ComplaintDeps): Route[] {
  return [
    ...complaintFilingAndReadRoutes(deps),
    ...complaintHandlingRoutes(deps),
    ...complaintHoldAndReportRoutes(deps),
  ];
}

/** Filing a complaint, and reading them: the list and one complaint. */
function complaintFilingAndReadRoutes(deps: ComplaintDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/complaints',
      summary:
        'File a complaint about a case or a customer with no case; the rules may raise its priority; harassment about contact puts the case on do-not-contact first',
      description: 'A broker files about their own cases, a channel about its channel’s.',
      roles: ['broker', 'channel', 'compliance'],
      own: ['broker', 'channel'],
      request: { body: complaintFilingSchema },
      responses: { 201: json(complaintViewSchema, 'the complaint, with its deadlines'), ...complaintErrors },
      handler: async ({ body }, req, res) => {
        res.status(201).json(await fileComplaint(deps, actorOf(req), body, req.idempotency));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/complaints',
      summary: 'List complaints (newest first, cursor pagination)',
      description: 'A broker sees the complaints about their cases, a channel its channel’s.',
      roles: ['broker', 'channel', 'manager', 'compliance'],
      own: ['broker', 'channel'],
      request: { query: complaintListQuerySchema },
      responses: { 200: json(complaintListSchema, 'a page'), ...errors },
      handler: async ({ query }, req, res) => {
        res.json(await listComplaints(deps, actorOf(req), query));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/complaints/{id}',
      summary: 'One complaint with its events; its text for compliance, managers and the case’s broker (audited)',
      roles: ['broker', 'channel', 'manager', 'compliance'],
      own: ['broker', 'channel'],
      request: { params: complaintIdParams },
      responses: { 200: json(complaintDetailSchema, 'the complaint'), ...complaintErrors },
      handler: async ({ params }, req, res) => {
        res.json(await getComplaint(deps, actorOf(req), params.id));
      },
    }),
  ];
}

/** Handling a complaint: first response, escalation to the group, closing. */
function complaintHandlingRoutes(deps: ComplaintDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/complaints/{id}/first-response',
      summary: 'Record the first response to the customer',
      roles: ['broker', 'manager', 'compliance'],
      own: ['broker'],
      request: { params: complaintIdParams, body: firstResponseSchema },
      responses: afterAction('the complaint afterwards'),
      handler: async ({ params, body }, req, res) => {
        const row = await complaintFor(deps, actorOf(req), params.id);
        res.json(
          await actOnComplaint(deps, actorOf(req), row, {
            update: firstResponseUpdate,
            arg: { via: body.via },
            audit: 'complaint.first_response',
            details: { via: body.via },
            note: body.note,
            updateId: req.idempotency?.updateId,
          }),
        );
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/complaints/{id}/escalation',
      summary: 'Escalate a complex complaint to a cross-team group',
      roles: ['manager', 'compliance'],
      request: { params: complaintIdParams, body: complaintEscalationSchema },
      responses: afterAction('the complaint afterwards'),
      handler: async ({ params, body }, req, res) => {
        const row = await complaintFor(deps, actorOf(req), params.id);
        res.json(
          await actOnComplaint(deps, actorOf(req), row, {
            update: escalateToGroupUpdate,
            arg: { teams: body.teams },
            audit: 'complaint.escalated_to_group',
            details: { teams: body.teams },
            note: body.reason,
            updateId: req.idempotency?.updateId,
          }),
        );
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/complaints/{id}/close',
      summary: 'Close with the resolution and the customer’s satisfaction; dissatisfied reopens it once',
      roles: ['manager', 'compliance'],
      request: { params: complaintIdParams, body: complaintCloseSchema },
      responses: afterAction('the complaint afterwards (closed, or reopened)'),
      handler: async ({ params, body }, req, res) => {
        const row = await complaintFor(deps, actorOf(req), params.id);
        res.json(
          await actOnComplaint(deps, actorOf(req), row, {
            update: closeComplaintUpdate,
            arg: { resolution: body.resolution, satisfaction: body.satisfaction },
            audit: 'complaint.closed',
            details: { resolution: body.resolution, satisfaction: body.satisfaction },
            note: body.note,
            updateId: req.idempotency?.updateId,
          }),
        );
      },
    }),
  ];
}

/** Legal holds on a complaint, and the complaint report. */
function complaintHoldAndReportRoutes(deps: ComplaintDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/complaints/{id}/legal-hold',
      summary:
        'Place or release a legal hold on a complaint without a case: its description is kept past retention while it lasts',
      roles: ['compliance'],
      request: { params: complaintIdParams, body: legalHoldSchema },
      responses: { 200: json(anyObject, 'the complaint'), ...complaintErrors },
      handler: async ({ params, body }, req, res) => {
        const row = await complaintFor(deps, actorOf(req), params.id);
        // Said here too, because the workflow of a closed complaint about a case has already ended.
        if (row.key_scope === 'case') {
          throw new DomainError(
            'hold_the_case',
            'this complaint’s description is sealed with its case’s data key and erased with the case: put the case on legal hold',
          );
        }
        res.json(
          await actOnComplaint(deps, actorOf(req), row, {
            update: complaintLegalHoldUpdate,
            arg: { hold: body.hold },
            // The reason is sealed with the event, like every note on a complaint: it may name the customer.
            audit: body.hold ? 'complaint.legal_hold_placed' : 'complaint.legal_hold_released',
            details: {},
            note: body.reason,
            updateId: req.idempotency?.updateId,
          }),
        );
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/reports/complaints',
      summary:
        'Complaint volumes, first-response times (median, p90), late responses and resolutions, satisfaction, by category, priority, channel or broker',
      roles: ['manager', 'compliance'],
      request: { query: complaintReportQuerySchema },
      responses: { 200: json(complaintReportSchema, 'the report'), ...errors },
      handler: async ({ query }, _req, res) => {
        res.json(await complaintReport(deps.db, query));
      },
    }),
  ];
}
