import { actOnCase, type CaseDeps } from '../service/cases';
import { getLenderPackage } from '../service/lender-sharing';
import { costAcknowledgementUpdate } from '../messages';
import { actorOf } from '../../../platform/http/auth';
import { anyObject, caseErrors, json, problem } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import { caseAccess } from './case-access';
import { caseIdParams, caseStateSchema } from '../schemas/leads';
import { costAcknowledgementSchema, lenderPackageQuerySchema } from '../schemas/lender-sharing';

/**
 * Before a case goes to a lender: the customer's acknowledgement of the chosen product's cost
 * disclosure, and what the lender gets (断直连). Consent naming lenders is given and withdrawn
 * through the consent routes (case-actions.ts).
 */
export function lenderSharingRoutes(deps: CaseDeps): Route[] {
  const { caseOf } = caseAccess(deps);
  return [
    defineRoute({
      method: 'post',
      path: '/v1/leads/{id}/cost-disclosure-acknowledgements',
      summary: "Record the customer's acknowledgement of a matched product's cost disclosure (its disclosureHash)",
      roles: ['broker', 'channel'],
      own: ['broker', 'channel'],
      request: { params: caseIdParams, body: costAcknowledgementSchema },
      responses: {
        201: json(caseStateSchema, 'the case after the action, with costAcknowledgements'),
        ...caseErrors,
        409: problem('cost_disclosure_stale: the hash is not the current match’s; or the case is not in follow-up'),
      },
      handler: async ({ params, body }, req, res) => {
        const id = await caseOf(req, params.id);
        const result = await actOnCase(
          deps,
          id,
          costAcknowledgementUpdate,
          body,
          actorOf(req),
          req.idempotency?.updateId,
        );
        // The workflow audits the acknowledgement with its ledger row, naming the verified actor.
        res.status(201).json(result.state);
      },
    }),

    defineRoute({
      method: 'get',
      path: '/v1/leads/{id}/lender-package',
      summary: 'What was or would be sent to a lender: whitelisted identity and application facts only (audited)',
      roles: ['broker', 'compliance'],
      own: ['broker'],
      request: { params: caseIdParams, query: lenderPackageQuerySchema },
      responses: {
        200: json(anyObject, 'the package, its data categories and the consent it rests on'),
        ...caseErrors,
        410: problem('erased'),
      },
      handler: async ({ params, query }, req, res) => {
        const id = await caseOf(req, params.id);
        res.json(await getLenderPackage(deps, actorOf(req), id, query.lenderId));
      },
    }),
  ];
}
