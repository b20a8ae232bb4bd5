import type { DataSource, EntityManager } from 'typeorm';
import type { z } from 'zod';
import type { channelSchema, lenderSchema, productSchema } from '../schemas';

/** The SQL of the matrices (lenders, products, channels, brokers); ../service/matrices audits every change. */

export const findLenders = (db: DataSource) =>
  db.query(
    `SELECT id, name, licence_no AS "licenceNo", licensed, active, type,
            json_build_object('listed', partner_listed, 'since', to_char(partner_listed_since, 'YYYY-MM-DD'),
              'until', to_char(partner_listed_until, 'YYYY-MM-DD'), 'reference', partner_listing_reference) AS "partnerListing",
            demo
       FROM lenders ORDER BY id`,
  );

export const findProducts = (db: DataSource) =>
  db.query(
    `SELECT id, lender_id AS "lenderId", name, repayment, nominal_apr_pct::float AS "nominalAprPct", fees, amount_min AS "amountMin",
            amount_max AS "amountMax", term_min_months AS "termMinMonths", term_max_months AS "termMaxMonths", secured,
            disbursement_days AS "disbursementDays", eligible_tiers AS "eligibleTiers", provinces, allows_non_local AS "allowsNonLocal",
            age_min AS "ageMin", age_max AS "ageMax", active, demo FROM products ORDER BY id`,
  );

export const findChannels = (db: DataSource) =>
  db.query(
    'SELECT id, name, type, partner, grade, suspended, team, cac_cny AS "cacCny", demo FROM channels ORDER BY id',
  );

export const findBrokers = (db: DataSource) =>
  db.query(
    `SELECT b.id, b.display_name AS "displayName", b.team, b.active, b.demo,
            (SELECT count(*)::int FROM lead_cases c WHERE c.broker_id = b.id AND c.is_open) AS "openCases"
       FROM brokers b ORDER BY b.id`,
  );

/** An upsert's answer: `inserted` when the row was new. */
type Upserted = { inserted?: boolean } | undefined;

/** Creates or replaces a lender by ID. */
export async function upsertLender(m: EntityManager, l: z.infer<typeof lenderSchema>): Promise<Upserted> {
  const [row] = await m.query(
    `INSERT INTO lenders (id, name, licence_no, licensed, active, type, partner_listed, partner_listed_since, partner_listed_until,
       partner_listing_reference) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, licence_no = EXCLUDED.licence_no, licensed = EXCLUDED.licensed, active = EXCLUDED.active,
       type = EXCLUDED.type, partner_listed = EXCLUDED.partner_listed, partner_listed_since = EXCLUDED.partner_listed_since,
       partner_listed_until = EXCLUDED.partner_listed_until, partner_listing_reference = EXCLUDED.partner_listing_reference
     RETURNING (xmax = 0) AS inserted`,
    [
      l.id,
      l.name,
      l.licenceNo ?? null,
      l.licensed ?? null,
      l.active ?? null,
      l.type,
      l.partnerListing.listed,
      l.partnerListing.since,
      l.partnerListing.until,
      l.partnerListing.reference,
    ],
  );
  return row;
}

/** Creates or replaces a channel by ID; a suspension set here is the admin's, lifting it clears who suspended it. */
export async function upsertChannel(m: EntityManager, c: z.infer<typeof channelSchema>): Promise<Upserted> {
  const [row] = await m.query(
    `INSERT INTO channels (id, name, type, partner, grade, suspended, suspension_reason, cac_cny, team, suspended_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, CASE WHEN $6 THEN 'admin' END)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, partner = EXCLUDED.partner, grade = EXCLUDED.grade,
       suspended = EXCLUDED.suspended, suspension_reason = EXCLUDED.suspension_reason, cac_cny = EXCLUDED.cac_cny, team = EXCLUDED.team,
       suspended_by = CASE WHEN NOT EXCLUDED.suspended THEN NULL WHEN channels.suspended THEN channels.suspended_by ELSE 'admin' END
     RETURNING (xmax = 0) AS inserted`,
    [
      c.id,
      c.name,
      c.type,
      c.partner ?? null,
      c.grade,
      c.suspended ?? null,
      c.suspensionReason ?? null,
      c.cacCny ?? null,
      c.team ?? null,
    ],
  );
  return row;
}

/** Creates or replaces a product by ID; a lender that does not exist fails on the foreign key (23503). */
export async function upsertProduct(m: EntityManager, p: z.infer<typeof productSchema>): Promise<Upserted> {
  const [row] = await m.query(
    `INSERT INTO products (id, lender_id, name, repayment, nominal_apr_pct, fees, amount_min, amount_max, term_min_months, term_max_months,
         secured, disbursement_days, eligible_tiers, provinces, allows_non_local, age_min, age_max, commission_pct, active)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
       ON CONFLICT (id) DO UPDATE SET lender_id = EXCLUDED.lender_id, name = EXCLUDED.name, repayment = EXCLUDED.repayment,
         nominal_apr_pct = EXCLUDED.nominal_apr_pct, fees = EXCLUDED.fees, amount_min = EXCLUDED.amount_min,
         amount_max = EXCLUDED.amount_max, term_min_months = EXCLUDED.term_min_months, term_max_months = EXCLUDED.term_max_months,
         secured = EXCLUDED.secured, disbursement_days = EXCLUDED.disbursement_days, eligible_tiers = EXCLUDED.eligible_tiers,
         provinces = EXCLUDED.provinces, allows_non_local = EXCLUDED.allows_non_local, age_min = EXCLUDED.age_min,
         age_max = EXCLUDED.age_max, commission_pct = EXCLUDED.commission_pct, active = EXCLUDED.active
       RETURNING (xmax = 0) AS inserted`,
    [
      p.id,
      p.lenderId,
      p.name,
      p.repayment,
      p.nominalAprPct,
      JSON.stringify(p.fees),
      p.amountMin,
      p.amountMax,
      p.termMinMonths,
      p.termMaxMonths,
      p.secured,
      p.disbursementDays,
      p.eligibleTiers,
      p.provinces,
      p.allowsNonLocal,
      p.ageMin,
      p.ageMax,
      p.commissionPct,
      p.active,
    ],
  );
  return row;
}
