import type { DataSource, EntityManager } from 'typeorm';
import type { CostAcknowledgementInput } from '../activities/contract';

/** The SQL of sharing with lenders: lenders and notice recipients, per-lender consents, acknowledgements. */

/** Of these lender IDs, the ones that exist. */
export async function findExistingLenderIds(db: DataSource, ids: string[]): Promise<string[]> {
  const rows: { id: string }[] = await db.query('SELECT id FROM lenders WHERE id = ANY($1)', [ids]);
  return rows.map((r) => r.id);
}

export interface RecipientRow {
  lenderId: string;
  lenderName: string;
  contact: string;
  purpose: string;
  method: string;
  dataCategories: string[];
}

/** The lenders a notice version names as recipients, with its hash; null when the version does not exist. */
export async function findNotice(
  db: DataSource,
  version: string,
): Promise<{ contentHash: string; recipients: RecipientRow[] } | null> {
  const [row] = await db.query(
    'SELECT content_hash AS "contentHash", recipients FROM consent_notices WHERE version = $1',
    [version],
  );
  return row ? { contentHash: row.contentHash, recipients: (row.recipients ?? []) as RecipientRow[] } : null;
}

export interface LenderConsentRow {
  lenderId: string;
  action: 'grant' | 'withdraw';
  noticeVersion: string | null;
  source: string;
  at: Date;
}

/** Each lender's latest lender_sharing row for the case: granted, or withdrawn. */
export const findLatestLenderConsents = (db: DataSource, caseId: string): Promise<LenderConsentRow[]> =>
  db.query(
    `SELECT DISTINCT ON (lender_id) lender_id AS "lenderId", action, notice_version AS "noticeVersion", source, at
       FROM consents WHERE case_id = $1 AND lender_id IS NOT NULL ORDER BY lender_id, id DESC`,
    [caseId],
  );

/**
 * The notice version each lender was last granted under: a withdrawal row names none, and the
 * recipient's words are those of the grant.
 */
export const findLatestLenderGrants = (db: DataSource, caseId: string): Promise<LenderConsentRow[]> =>
  db.query(
    `SELECT DISTINCT ON (lender_id) lender_id AS "lenderId", action, notice_version AS "noticeVersion", source, at
       FROM consents WHERE case_id = $1 AND lender_id IS NOT NULL AND action = 'grant' ORDER BY lender_id, id DESC`,
    [caseId],
  );

/** Every acknowledgement of a cost disclosure on the case, oldest first. */
export const findCostAcknowledgements = (db: DataSource, caseId: string): Promise<Record<string, unknown>[]> =>
  db.query(
    `SELECT product_id AS "productId", lender_id AS "lenderId", disclosure_hash AS "disclosureHash",
            all_in_apr_pct::float AS "allInAprPct", source, at
       FROM cost_disclosure_acknowledgements WHERE case_id = $1 ORDER BY id`,
    [caseId],
  );

/** The lender of a product, or null. */
export async function findLenderOfProduct(db: DataSource, productId: string): Promise<string | null> {
  const [row] = await db.query('SELECT lender_id AS "lenderId" FROM products WHERE id = $1', [productId]);
  return row?.lenderId ?? null;
}

/** Records the acknowledgement once per eventId (the ledger is append-only); says whether this call inserted it. */
export async function insertCostAcknowledgement(m: EntityManager, input: CostAcknowledgementInput): Promise<boolean> {
  const inserted = await m.query(
    `INSERT INTO cost_disclosure_acknowledgements
           (event_id, case_id, product_id, lender_id, disclosure_hash, all_in_apr_pct, source, at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
    [
      input.eventId,
      input.caseId,
      input.productId,
      input.lenderId,
      input.disclosureHash,
      input.allInAprPct,
      input.source,
      input.at,
    ],
  );
  return inserted.length > 0;
}
