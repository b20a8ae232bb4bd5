import type { CaseDeps } from '../service/cases';
import { exportCase } from '../service/export';
import { funnelReport } from '../service/reports';
import { actorOf } from '../../../platform/http/auth';
import { anyObject, caseErrors, errors, json } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import { caseIdParams, funnelQuerySchema } from '../schemas/leads';

/** The data-subject copy and the funnel report. */
export function reportRoutes(deps: CaseDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/leads/{id}/export',
      summary: 'Data-subject copy: everything held about the person (audited)',
      roles: ['compliance'],
      request: { params: caseIdParams },
      responses: { 200: json(anyObject, 'the copy'), ...caseErrors },
      handler: async ({ params }, req, res) => {
        res.json(await exportCase(deps, actorOf(req), params.id));
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/reports/funnel',
      summary:
        'Funnel: counts and conversion by channel or broker for a period, optionally split by day, week or month',
      roles: ['manager'],
      request: { query: funnelQuerySchema },
      responses: { 200: json(anyObject, 'the report'), ...errors },
      handler: async ({ query }, _req, res) => {
        res.json(await funnelReport(deps.db, { ...query, timeZone: deps.cfg.policy.contact.timeZone }));
      },
    }),
  ];
}
