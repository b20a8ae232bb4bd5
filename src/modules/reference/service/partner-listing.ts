import type { DataSource } from 'typeorm';
import type { PartnerListing } from '../../lead/rules/matching';
import { findLenderListingOfProduct } from '../repository/partner-listing';

/** The partner listing (名单, 金规〔2025〕9号) of the lender behind a product, or undefined for an unknown product. */
export async function lenderListingOfProduct(
  db: Pick<DataSource, 'query'>,
  productId: string,
): Promise<(PartnerListing & { lenderId: string }) | undefined> {
  return findLenderListingOfProduct(db, productId);
}
