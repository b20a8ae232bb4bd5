import {
  costAcknowledgementUpdate,
  type CostAcknowledgementUpdate,
  type ProductMatch,
  type UpdateResult,
} from '../messages';
import { actorLabel, type VerifiedActor } from '../../../platform/workflow/verified';
import { notWhileReassigning } from './assignment';
import { commit } from './changes';
import type { CaseRun } from './state';
import { onUpdate, refuse } from './verified-messages';
import { localWrites } from './writes';

/**
 * What must be on record before the case goes to a lender (金规〔2025〕9号, PIPL art. 23 and 29):
 * the customer's acknowledgement of the chosen product's cost disclosure, the very one the case's
 * match carries now (its hash), and a `lender_sharing` consent naming that product's lender.
 * Consent per lender is granted and withdrawn in ./consent.ts; this module records acknowledgements
 * and says whether a submission may go.
 */
export function registerLenderSharingHandlers(run: CaseRun): void {
  onUpdate(
    run,
    costAcknowledgementUpdate,
    (arg, actor) => acknowledge(run, arg, actor),
    (arg, actor) => validateAcknowledgement(run, arg, actor),
  );
}

function validateAcknowledgement(
  run: CaseRun,
  { productId, disclosureHash }: CostAcknowledgementUpdate,
  actor: VerifiedActor,
): void {
  const { state } = run;
  if (state.stage !== 'follow_up')
    refuse(
      'wrong_stage',
      `a cost disclosure is acknowledged before submission, in follow-up; this case is ${state.stage}`,
    );
  if (actor.role === 'broker') {
    notWhileReassigning(run);
    if (state.brokerId !== actor.sub)
      refuse('not_assigned_broker', 'only the broker assigned to the case may act on it');
  }
  const match = matchOf(run, productId);
  if (!match) refuse('product_not_matched', `product ${productId} is not one of this case's matches`);
  if (match!.costDisclosure.disclosureHash !== disclosureHash)
    refuse(
      'cost_disclosure_stale',
      `the disclosure acknowledged is not product ${productId}'s current one: show the customer the current disclosure`,
    );
}

async function acknowledge(
  run: CaseRun,
  { productId, disclosureHash }: CostAcknowledgementUpdate,
  actor: VerifiedActor,
): Promise<UpdateResult> {
  const { state } = run;
  const match = matchOf(run, productId)!;
  const eventId = run.nextEventId('cost_acknowledged');
  const ack = {
    productId,
    lenderId: match.lenderId,
    disclosureHash,
    allInAprPct: match.allInAprPct,
    source: actorLabel(actor),
    at: run.now().toISOString(),
  };
  await localWrites.recordCostAcknowledgement({ caseId: state.caseId, eventId, ...ack, actor });
  state.costAcknowledgements[productId] = ack;
  await commit(run);
  return { eventId, state };
}

const matchOf = (run: CaseRun, productId: string): ProductMatch | undefined =>
  run.state.matches.find((m) => m.productId === productId);

/**
 * Why the case may not be submitted with its selected product, or null when it may: the product's
 * current disclosure acknowledged, and sharing with its lender consented.
 */
export function submissionRefusal(run: CaseRun): { code: string; message: string } | null {
  const { state } = run;
  const match = state.selectedProductId ? matchOf(run, state.selectedProductId) : undefined;
  if (!match) return null; // no selection: the caller's own refusal answers
  const ack = state.costAcknowledgements[match.productId];
  if (!ack || ack.disclosureHash !== match.costDisclosure.disclosureHash)
    return {
      code: 'cost_disclosure_not_acknowledged',
      message: `the customer has not acknowledged product ${match.productId}'s current cost disclosure`,
    };
  if (!run.lenderConsented(match.lenderId))
    return {
      code: 'lender_consent_required',
      message: `the customer has not agreed to share their data with lender ${match.lenderId}`,
    };
  return null;
}
