import type { Request } from 'express';
import { ROLES } from '../../../platform/domain/types';
import { getCase, getPii, listCases, type CaseDeps } from '../service/cases';
import { submitLead } from '../service/intake';
import { actorOf } from '../../../platform/http/auth';
import { AppError } from '../../../platform/http/errors';
import type { Metrics } from '../../../platform/http/metrics';
import { anyObject, caseErrors, errors, json, problem } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import {
  caseIdParams,
  caseListSchema,
  caseViewSchema,
  intakeResultSchema,
  intakeSchema,
  listQuerySchema,
  piiQuerySchema,
} from '../schemas/leads';

const idempotencyKeyOf = (req: Request): string | undefined => {
  const key = req.header('idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key))
    throw new AppError(422, 'invalid_idempotency_key', 'Idempotency-Key must be 1-128 visible ASCII characters');
  return key;
};

type LeadDeps = CaseDeps & { metrics: Metrics };

/**
 * Intake, and reading a case: the list, one case, and its unmasked identity. The case actions
 * (case-actions.ts), the export and reports (reports.ts), the legal-hold and post-loan routes follow
 * them, in that order, in src/api/app.ts.
 */
export function leadRoutes(deps: LeadDeps): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads',
      summary: 'Submit a lead (intake)',
      roles: ['channel', 'broker', 'manager', 'admin'],
      own: ['channel'],
      request: { body: intakeSchema },
      responses: {
        201: json(intakeResultSchema, 'a new case'),
        200: json(
          intakeResultSchema,
          'a replay of the first answer, or the open case of the same person (duplicate: true)',
        ),
        ...caseErrors,
      },
      handler: async ({ body }, req, res) => {
        const result = await submitLead(deps, actorOf(req), body, idempotencyKeyOf(req));
        deps.metrics.intakes.inc({
          result: result.body.replayed ? 'replay' : result.body.duplicate ? 'duplicate' : 'new',
        });
        res.status(result.status).json(result.body);
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/leads',
      summary: 'List cases (newest first, cursor pagination)',
      roles: ROLES,
      own: ['broker', 'channel'],
      request: { query: listQuerySchema },
      responses: { 200: json(caseListSchema, 'a page'), ...errors },
      handler: async ({ query }, req, res) => {
        res.json(await listCases(deps, actorOf(req), query));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/leads/{id}',
      summary: 'One case, personal data masked',
      roles: ROLES,
      own: ['broker', 'channel'],
      request: { params: caseIdParams },
      responses: { 200: json(caseViewSchema, 'the case'), ...caseErrors },
      handler: async ({ params }, req, res) => {
        res.json(await getCase(deps, actorOf(req), params.id));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/leads/{id}/pii',
      summary: 'The unmasked identity, audited with its purpose',
      // getPii refuses other roles with its own code, unmask_forbidden.
      roles: ['broker', 'risk_officer', 'manager', 'compliance'],
      own: ['broker'],
      checksRolesItself: true,
      request: { params: caseIdParams, query: piiQuerySchema },
      responses: { 200: json(anyObject, 'the identity'), ...caseErrors, 410: problem('erased') },
      handler: async ({ params, query }, req, res) => {
        res.json(await getPii(deps, actorOf(req), params.id, query.purpose));
      },
    }),
  ];
}
