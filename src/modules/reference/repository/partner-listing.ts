import type { DataSource } from 'typeorm';
import type { PartnerListing } from '../../lead/rules/matching';

/** The SQL of reading a lender's partner listing; ../service/partner-listing is its entry point. */

/** The listing of the lender behind a product, or undefined for an unknown product. */
export async function findLenderListingOfProduct(
  db: Pick<DataSource, 'query'>,
  productId: string,
): Promise<(PartnerListing & { lenderId: string }) | undefined> {
  const [row] = await db.query(
    `SELECT l.id AS "lenderId", l.partner_listed AS listed, to_char(l.partner_listed_since, 'YYYY-MM-DD') AS since,
            to_char(l.partner_listed_until, 'YYYY-MM-DD') AS until
       FROM products p JOIN lenders l ON l.id = p.lender_id WHERE p.id = $1`,
    [productId],
  );
  return row;
}
