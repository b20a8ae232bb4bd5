import { DomainError } from '../../../platform/domain/errors';
import { lenderListingOfProduct } from '../../reference/service/partner-listing';
import { findCaseRow } from '../repository/cases';
import { listsUsAt } from '../rules/matching';
import type { CaseDeps } from './cases';

/**
 * A case is chosen for, and submitted to, only a lender that lists us today (名单制, 金规〔2025〕9号):
 * a listing that lapsed or was withdrawn after matching stops the choice and the submission. The
 * product is the one being chosen, else the case's recorded choice; with none, the workflow's own
 * refusal (`no_selection`, `product_not_matched`) answers.
 */
export async function assertLenderListsUs(
  deps: Pick<CaseDeps, 'db'>,
  caseId: string,
  productId?: string,
  now: Date = new Date(),
): Promise<void> {
  const chosen = productId ?? ((await findCaseRow(deps.db, caseId))?.selected_product_id as string | null | undefined);
  if (!chosen) return;
  const listing = await lenderListingOfProduct(deps.db, chosen);
  if (listing && !listsUsAt(listing, now.toISOString()))
    throw new DomainError(
      'lender_not_on_partner_list',
      `lender ${listing.lenderId} does not list us on its published partner list today: the case cannot be submitted to it`,
      { lenderId: listing.lenderId, productId: chosen },
    );
}
