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

/** The demo lenders the demo notice (DEMO_LENDER_NOTICE_VERSION) names. */
export const DEMO_LENDERS_NAMED = ['lender-bank-a', 'lender-cfc-b', 'lender-trust-c', 'lender-mfc-e'];

/**
 * A notice version naming the lender as a recipient: the demo notice for a demo lender, else one
 * published for it (a test's own lender), once; publishing it again is answered as the first.
 */
export async function noticeNaming(stack: TestStack, lenderId: string): Promise<string> {
  if (DEMO_LENDERS_NAMED.includes(lenderId)) return DEMO_LENDER_NOTICE_VERSION;
  const version = `for-${lenderId}`.slice(0, 40);
  const contact = `privacy@${lenderId}.example`;
  const res = await stack.api({ sub: 'c-notices', role: 'compliance' }, 'POST', '/v1/consent-notices', {
    version,
    text: `测试告知书: 我们向 ${lenderId} (联系方式 ${contact}) 提供您的身份与借款申请信息, 用于审核您的借款申请。`,
    recipients: [
      {
        lenderId,
        lenderName: lenderId,
        contact,
        purpose: '审核借款申请',
        method: '加密接口传输',
        dataCategories: ['identity', 'contact', 'residence', 'employment_income', 'loan_request'],
      },
    ],
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`notice refused: ${JSON.stringify(res.body)}`);
  return version;
}

/**
 * What a submission to `productId`'s lender needs on record, through the API as the broker: the
 * customer's consent to share with that lender (under the demo notice that names it) and their
 * acknowledgement of the product's cost disclosure. Each answer is checked.
 */
export async function readyToSubmit(stack: TestStack, broker: Actor, caseId: string, productId: string) {
  const match = await matchOf(stack, caseId, productId);
  const consent = await stack.api(broker, 'POST', `/v1/leads/${caseId}/consents`, {
    noticeVersion: await noticeNaming(stack, match.lenderId),
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
