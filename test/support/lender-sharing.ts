import type { Actor } from '../../src/platform/domain/actor';
import { DEMO_LENDER_NOTICE_VERSION } from '../../src/modules/reference/demo-seed';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import { stateQuery } from '../../src/modules/lead/messages';
import type { TestStack } from './stack';

/** A case's match of `productId`, as its workflow holds it (with its lender and disclosure hash). */
export async function matchOf(stack: TestStack, caseId: string, productId: string) {
  const state = await stack.client.workflow.getHandle(leadWorkflowId(caseId)).query(stateQuery);
  const match = state.matches.find((m) => m.productId === productId);
  if (!match) throw new Error(`product ${productId} is not one of case ${caseId}'s matches`);
  return match;
}

/**
 * What a submission to `productId`'s lender needs on record, through the API as the broker: the
 * customer's consent to share with that lender (under the demo notice that names it) and their
 * acknowledgement of the product's cost disclosure. Each answer is checked.
 */
export async function readyToSubmit(stack: TestStack, broker: Actor, caseId: string, productId: string) {
  const match = await matchOf(stack, caseId, productId);
  const consent = await stack.api(broker, 'POST', `/v1/leads/${caseId}/consents`, {
    noticeVersion: DEMO_LENDER_NOTICE_VERSION,
    purposes: ['lender_sharing'],
    lenderIds: [match.lenderId],
  });
  if (consent.status !== 200) throw new Error(`lender consent refused: ${JSON.stringify(consent.body)}`);
  const ack = await stack.api(broker, 'POST', `/v1/leads/${caseId}/cost-disclosure-acknowledgements`, {
    productId,
    disclosureHash: match.costDisclosure.disclosureHash,
  });
  if (ack.status !== 201) throw new Error(`acknowledgement refused: ${JSON.stringify(ack.body)}`);
  return match;
}
