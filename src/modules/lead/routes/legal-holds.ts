import { z } from 'zod';
import { DomainError } from '../../../platform/domain/errors';
import { actOnCase, getCase, type CaseDeps } from '../service/cases';
import { holdEndedCase, listLegalHolds, recordLegalHold } from '../service/legal-holds';
import { legalHoldUpdate } from '../messages';
import { caseIdParams, caseStateSchema, caseViewSchema, legalHoldSchema } from '../schemas/leads';
import { actorOf } from '../../../platform/http/auth';
import { anyObject, caseErrors, json } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import { afterAction, caseAccess } from './case-access';

/** Legal holds, which pause erasure, and their history. */
export function legalHoldRoutes(deps: CaseDeps): Route[] {
  const { caseOf } = caseAccess(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/legal-hold',
      summary: 'Place or release a legal hold (pauses erasure)',
      description:
        'On a case whose workflow ended without erasing it, the hold goes on the case row, which the retention sweep honours, and the answer is the case as GET /leads/{id} shows it.',
      roles: ['compliance'],
      request: { params: caseIdParams, body: legalHoldSchema },
      responses: { ...afterAction, 200: json(z.union([caseStateSchema, caseViewSchema]), 'the case after the action') },
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        const actor = actorOf(req);
        let result;
        try {
          result = await actOnCase(deps, id, legalHoldUpdate, { hold: body.hold }, actor, req.idempotency?.updateId);
        } catch (err) {
          if (!(err instanceof DomainError && err.code === 'case_finished')) throw err;
          // The workflow ended without erasing the case: the hold goes on its row, which the retention sweep honours.
          await holdEndedCase(deps, actor, id, body.hold, body.reason, req.idempotency?.updateId);
          res.json(await getCase(deps, actor, id));
          return;
        }
        // The workflow wrote the hold's event and audit row; the reason goes beside it in legal_hold_events,
        // which erasure clears, never into the audit chain.
        await recordLegalHold(deps, actor, id, body.hold, body.reason, req.idempotency?.updateId, result);
        res.json(result.state);
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/leads/{id}/legal-holds',
      summary:
        'The legal holds placed on and released from a case, with their reasons (null once the case is erased); the read is audited',
      roles: ['compliance'],
      request: { params: caseIdParams },
      responses: { 200: json(anyObject, 'the holds'), ...caseErrors },
      handler: async ({ params }, req, res) => {
        res.json(await listLegalHolds(deps, actorOf(req), await caseOf(req, params.id)));
      },
    }),
  ];
}
