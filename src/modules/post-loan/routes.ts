import type { CaseDeps } from '../lead/service/cases';
import { listCheckIns, recordCheckInCall } from './service';
import { checkInCallSchema, checkInListQuerySchema, checkInParams } from '../lead/schemas/leads';
import { actorOf } from '../../platform/http/auth';
import { anyObject, caseErrors, errors, json, problem } from '../../platform/http/openapi';
import { defineRoute, type Route } from '../../platform/http/route';

/** Post-loan check-in calls after a loan is granted. */
export function postLoanRoutes(deps: CaseDeps): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/post-loan/check-ins',
      summary: 'Post-loan check-in calls (贷后回访), soonest due first',
      roles: ['broker', 'manager', 'compliance'],
      own: ['broker'],
      request: { query: checkInListQuerySchema },
      responses: { 200: json(anyObject, 'the check-ins'), ...errors },
      handler: async ({ query }, req, res) => {
        res.json(await listCheckIns(deps.db, actorOf(req), query));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/check-ins/{day}',
      summary:
        'Record one post-loan check-in call: not reached, or reached with the customer’s answers (a problem notifies compliance)',
      description: 'A broker records the check-ins of their cases; a manager any.',
      roles: ['broker', 'manager'],
      own: ['broker'],
      request: { params: checkInParams, body: checkInCallSchema },
      responses: {
        200: json(anyObject, 'the check-in after the call'),
        ...caseErrors,
        404: problem('no such case or check-in'),
        409: problem('the check-in is closed, the consent withdrawn or the case erased'),
        422: problem(
          'invalid input, or the contact rules refuse the call now (do_not_contact, quiet_hours, daily_cap_reached)',
        ),
      },
      handler: async ({ params, body }, req, res) => {
        res.json(
          await recordCheckInCall(deps.db, deps.cfg.policy, actorOf(req), { caseId: params.id, day: params.day }, body),
        );
      },
    }),
  ];
}
