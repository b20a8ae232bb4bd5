import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lenders carry their type and our firm's listing on their published partner list (名单,
 * 金规〔2025〕9号); products carry how they are really priced (repayment method, nominal rate, every
 * fee with its payee), from which matching computes the all-in cost per case. The old
 * `apr_min_pct`/`apr_max_pct` go.
 *
 * Existing rows: a lender's listing is unknown, so it starts as not listed (never matched until an
 * admin records the listing); its type starts as `other`. A product's old all-fees-included maximum
 * becomes its nominal rate with no fees, which keeps the cost it claimed. The `[DEMO]` rows get the
 * types, listings and fees of the demo data (src/modules/reference/demo-seed.ts); `npm run seed`
 * adds the demo rows that are new (a lender that does not list us, a microlender, a product whose
 * fees push it over the cap).
 */
export class LenderListingProductPricing1765700000000 implements MigrationInterface {
  name = 'LenderListingProductPricing1765700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE lenders
        ADD COLUMN type text NOT NULL DEFAULT 'other'
          CHECK (type IN ('bank','consumer_finance','microlender','trust','other')),
        ADD COLUMN partner_listed boolean NOT NULL DEFAULT false,
        ADD COLUMN partner_listed_since date,
        ADD COLUMN partner_listed_until date,
        ADD COLUMN partner_listing_reference text,
        ADD CONSTRAINT lenders_partner_listing_dates
          CHECK (partner_listed_until IS NULL OR partner_listed_since IS NULL OR partner_listed_until >= partner_listed_since);

      ALTER TABLE products
        ADD COLUMN repayment text NOT NULL DEFAULT 'equal_instalment'
          CHECK (repayment IN ('equal_instalment','equal_principal','interest_only_bullet')),
        ADD COLUMN nominal_apr_pct numeric(6,3),
        ADD COLUMN fees jsonb NOT NULL DEFAULT '[]'::jsonb
          CHECK (jsonb_typeof(fees) = 'array' AND NOT fees @> '[{"payee":"platform"}]'::jsonb);
      UPDATE products SET nominal_apr_pct = apr_max_pct;
      ALTER TABLE products
        ALTER COLUMN nominal_apr_pct SET NOT NULL,
        ADD CONSTRAINT products_nominal_apr_range CHECK (nominal_apr_pct >= 0 AND nominal_apr_pct <= 100),
        DROP COLUMN apr_min_pct,
        DROP COLUMN apr_max_pct;
    `);
    await this.convertDemoRows(q);
  }

  private async convertDemoRows(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE lenders SET type = v.type, partner_listed = v.listed, partner_listed_since = v.since::date,
             partner_listing_reference = v.reference
        FROM (VALUES
          ('lender-bank-a', 'bank', true, '2025-10-01', '[DEMO] 城市商业银行A 互联网助贷合作机构名单 2025-10'),
          ('lender-cfc-b', 'consumer_finance', true, '2025-10-01', '[DEMO] 消费金融公司B 合作机构名单 2025-10'),
          ('lender-trust-c', 'trust', true, '2025-10-01', '[DEMO] 信托公司C 合作机构名单 2025-10'),
          ('lender-unlicensed-x', 'other', false, NULL, NULL)
        ) AS v(id, type, listed, since, reference)
       WHERE lenders.id = v.id AND lenders.demo;

      UPDATE products SET repayment = v.repayment, nominal_apr_pct = v.nominal, fees = v.fees::jsonb
        FROM (VALUES
          ('prod-bank-a-secured', 'equal_principal', 9.8,
           '[{"name":"房产评估费","payee":"other","basis":"flat_upfront","value":800}]'),
          ('prod-cfc-b-flex', 'equal_instalment', 18,
           '[{"name":"担保费","payee":"guarantor","basis":"monthly_pct_of_principal","value":0.15}]'),
          ('prod-trust-c-biz', 'interest_only_bullet', 18, '[]')
        ) AS v(id, repayment, nominal, fees)
       WHERE products.id = v.id AND products.demo;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE products
        ADD COLUMN apr_min_pct numeric(5,2),
        ADD COLUMN apr_max_pct numeric(5,2);
      UPDATE products SET apr_min_pct = LEAST(nominal_apr_pct, 100), apr_max_pct = LEAST(nominal_apr_pct, 100);
      ALTER TABLE products
        ALTER COLUMN apr_min_pct SET NOT NULL,
        ALTER COLUMN apr_max_pct SET NOT NULL,
        ADD CHECK (apr_min_pct <= apr_max_pct),
        DROP COLUMN repayment,
        DROP COLUMN nominal_apr_pct,
        DROP COLUMN fees;
      ALTER TABLE lenders
        DROP COLUMN type,
        DROP COLUMN partner_listed,
        DROP COLUMN partner_listed_since,
        DROP COLUMN partner_listed_until,
        DROP COLUMN partner_listing_reference;
    `);
  }
}
