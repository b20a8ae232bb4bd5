import { Router } from 'express';
import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { checkMarketingText } from '../../domain/marketing-text';
import { requireRole } from '../auth';

const marketingTextSchema = z.strictObject({
  text: z.string().min(1).max(10_000),
  contractBacksLowRate: z.boolean().optional(),
  contractBacksFree: z.boolean().optional(),
});

/** The matrices the rules read (lenders, products, channels, brokers) and the marketing-text check. */
export function referenceRoutes(deps: { db: DataSource }): Router {
  const r = Router();
  const list = (path: string, sql: string) =>
    r.get(path, requireRole('admin', 'manager'), async (_req, res) => {
      res.json({ items: await deps.db.query(sql) });
    });
  list('/lenders', 'SELECT id, name, licence_no AS "licenceNo", licensed, active, demo FROM lenders ORDER BY id');
  list(
    '/products',
    `SELECT id, lender_id AS "lenderId", name, apr_min_pct::float AS "aprMinPct", apr_max_pct::float AS "aprMaxPct", amount_min AS "amountMin",
            amount_max AS "amountMax", term_min_months AS "termMinMonths", term_max_months AS "termMaxMonths", secured,
            disbursement_days AS "disbursementDays", eligible_tiers AS "eligibleTiers", provinces, allows_non_local AS "allowsNonLocal",
            age_min AS "ageMin", age_max AS "ageMax", active, demo FROM products ORDER BY id`,
  );
  list('/channels', 'SELECT id, name, type, partner, grade, suspended, team, cac_cny AS "cacCny", demo FROM channels ORDER BY id');
  list(
    '/brokers',
    `SELECT b.id, b.display_name AS "displayName", b.team, b.active, b.demo,
            (SELECT count(*)::int FROM lead_cases c WHERE c.broker_id = b.id AND c.is_open) AS "openCases"
       FROM brokers b ORDER BY b.id`,
  );

  r.post('/marketing-texts/check', (req, res) => {
    const body = marketingTextSchema.parse(req.body ?? {});
    res.json(checkMarketingText(body.text, { contractBacksLowRate: body.contractBacksLowRate, contractBacksFree: body.contractBacksFree }));
  });
  return r;
}
