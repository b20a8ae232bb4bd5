import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consent to share with a lender is given per named lender (PIPL art. 23 and 29), and the customer
 * acknowledges a product's cost disclosure before the case is submitted (金规〔2025〕9号):
 * - `consent_notices.recipients`: for each lender a notice version names, its name, contact,
 *   purpose, method and data categories. Published versions keep `[]` (they name no lender).
 * - `consents.lender_id`: a `lender_sharing` row names its lender; one event may write a row per
 *   lender, so the key becomes (event, purpose, lender).
 * - `cost_disclosure_acknowledgements`: an append-only ledger of the hash the customer was shown.
 *   It holds no personal data and stays after erasure, as the consent ledger does.
 */
export class LenderConsentCostAcknowledgements1765740000000 implements MigrationInterface {
  name = 'LenderConsentCostAcknowledgements1765740000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE consent_notices
        ADD COLUMN recipients jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(recipients) = 'array');

      ALTER TABLE consents ADD COLUMN lender_id text,
        ADD CONSTRAINT consents_lender_only_for_sharing CHECK (lender_id IS NULL OR purpose = 'lender_sharing');
      ALTER TABLE consents DROP CONSTRAINT consents_event_id_purpose_key;
      CREATE UNIQUE INDEX consents_event_purpose_lender ON consents (event_id, purpose, coalesce(lender_id, ''));
      CREATE INDEX consents_case_lender ON consents (case_id, lender_id, id) WHERE lender_id IS NOT NULL;

      CREATE TABLE cost_disclosure_acknowledgements (
        id bigserial PRIMARY KEY, event_id text NOT NULL UNIQUE,
        case_id uuid NOT NULL REFERENCES lead_cases(id),
        product_id text NOT NULL, lender_id text NOT NULL,
        disclosure_hash text NOT NULL, all_in_apr_pct numeric(8,3) NOT NULL,
        source text NOT NULL, at timestamptz NOT NULL);
      CREATE INDEX cost_disclosure_acknowledgements_case ON cost_disclosure_acknowledgements (case_id, id);
      CREATE TRIGGER cost_disclosure_acknowledgements_no_update BEFORE UPDATE OR DELETE ON cost_disclosure_acknowledgements
        FOR EACH ROW EXECUTE FUNCTION consents_append_only();
      CREATE TRIGGER cost_disclosure_acknowledgements_no_truncate BEFORE TRUNCATE ON cost_disclosure_acknowledgements
        FOR EACH STATEMENT EXECUTE FUNCTION append_only_no_truncate();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE cost_disclosure_acknowledgements;
      DROP INDEX consents_case_lender;
      DROP INDEX consents_event_purpose_lender;
      ALTER TABLE consents ADD CONSTRAINT consents_event_id_purpose_key UNIQUE (event_id, purpose);
      ALTER TABLE consents DROP CONSTRAINT consents_lender_only_for_sharing, DROP COLUMN lender_id;
      ALTER TABLE consent_notices DROP COLUMN recipients;
    `);
  }
}
