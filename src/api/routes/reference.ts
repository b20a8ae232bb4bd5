import { Router } from 'express';
import { saveBroker } from '../../services/brokers';
import type { CaseDeps } from '../../services/cases';
import { checkMarketingText } from '../../domain/marketing-text';
import { appendAudit } from '../../db/audit';
import { actorOf, requireRole } from '../auth';
import { AppError } from '../errors';
import { brokerSchema, channelSchema, lenderSchema, marketingTextSchema, productSchema } from '../schemas';


/** The matrices the rules read (lenders, products, channels, brokers) and the marketing-text check. */
export function referenceRoutes(deps: CaseDeps): Router {
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

  // Create-or-replace by ID; every change is audited with who made it.
  const upsert = (path: string, roles: Parameters<typeof requireRole>, schema: { parse(v: unknown): Record<string, unknown> }, sql: string, columns: string[]) =>
    r.post(path, requireRole(...roles), async (req, res) => {
      const body = schema.parse(req.body ?? {});
      const actor = actorOf(req);
      const values = columns.map((c) => body[c] ?? null);
      let created = false;
      await deps.db.transaction(async (m) => {
        const [row] = await m.query(sql, values);
        created = row?.inserted === true;
        await appendAudit(m, { actorSub: actor.sub, actorRole: actor.role, action: `${path.slice(1, -1)}.saved`, targetType: path.slice(1, -1), targetId: String(body.id), details: { created } });
      });
      res.status(created ? 201 : 200).json(body);
    });
  const FK = '23503';
  upsert('/lenders', ['admin'], lenderSchema,
    `INSERT INTO lenders (id, name, licence_no, licensed, active) VALUES ($1,$2,$3,$4,$5)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, licence_no = EXCLUDED.licence_no, licensed = EXCLUDED.licensed, active = EXCLUDED.active
     RETURNING (xmax = 0) AS inserted`,
    ['id', 'name', 'licenceNo', 'licensed', 'active']);
  upsert('/channels', ['admin'], channelSchema,
    `INSERT INTO channels (id, name, type, partner, grade, suspended, suspension_reason, cac_cny, team, suspended_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, CASE WHEN $6 THEN 'admin' END)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, partner = EXCLUDED.partner, grade = EXCLUDED.grade,
       suspended = EXCLUDED.suspended, suspension_reason = EXCLUDED.suspension_reason, cac_cny = EXCLUDED.cac_cny, team = EXCLUDED.team,
       suspended_by = CASE WHEN NOT EXCLUDED.suspended THEN NULL WHEN channels.suspended THEN channels.suspended_by ELSE 'admin' END
     RETURNING (xmax = 0) AS inserted`,
    ['id', 'name', 'type', 'partner', 'grade', 'suspended', 'suspensionReason', 'cacCny', 'team']);
  // Deactivating a broker hands over their open cases (src/services/brokers.ts).
  r.post('/brokers', requireRole('admin', 'manager'), async (req, res) => {
    const body = brokerSchema.parse(req.body ?? {});
    const saved = await saveBroker(deps, actorOf(req), body);
    res.status(saved.created ? 201 : 200).json({ ...saved.broker, handOver: saved.handOver });
  });
  r.post('/products', requireRole('admin'), async (req, res, next) => {
    const body = productSchema.parse(req.body ?? {});
    const actor = actorOf(req);
    try {
      let created = false;
      await deps.db.transaction(async (m) => {
        const [row] = await m.query(
          `INSERT INTO products (id, lender_id, name, apr_min_pct, apr_max_pct, amount_min, amount_max, term_min_months, term_max_months, secured,
             disbursement_days, eligible_tiers, provinces, allows_non_local, age_min, age_max, commission_pct, active)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
           ON CONFLICT (id) DO UPDATE SET lender_id = EXCLUDED.lender_id, name = EXCLUDED.name, apr_min_pct = EXCLUDED.apr_min_pct,
             apr_max_pct = EXCLUDED.apr_max_pct, amount_min = EXCLUDED.amount_min, amount_max = EXCLUDED.amount_max,
             term_min_months = EXCLUDED.term_min_months, term_max_months = EXCLUDED.term_max_months, secured = EXCLUDED.secured,
             disbursement_days = EXCLUDED.disbursement_days, eligible_tiers = EXCLUDED.eligible_tiers, provinces = EXCLUDED.provinces,
             allows_non_local = EXCLUDED.allows_non_local, age_min = EXCLUDED.age_min, age_max = EXCLUDED.age_max,
             commission_pct = EXCLUDED.commission_pct, active = EXCLUDED.active
           RETURNING (xmax = 0) AS inserted`,
          [body.id, body.lenderId, body.name, body.aprMinPct, body.aprMaxPct, body.amountMin, body.amountMax, body.termMinMonths, body.termMaxMonths,
            body.secured, body.disbursementDays, body.eligibleTiers, body.provinces, body.allowsNonLocal, body.ageMin, body.ageMax, body.commissionPct, body.active],
        );
        created = row.inserted === true;
        await appendAudit(m, { actorSub: actor.sub, actorRole: actor.role, action: 'product.saved', targetType: 'product', targetId: body.id, details: { created, aprMaxPct: body.aprMaxPct } });
      });
      res.status(created ? 201 : 200).json(body);
    } catch (err) {
      if ((err as { code?: string }).code === FK) return next(new AppError(422, 'unknown_lender', `lender ${body.lenderId} does not exist`));
      next(err);
    }
  });

  r.post('/marketing-texts/check', (req, res) => {
    const body = marketingTextSchema.parse(req.body ?? {});
    res.json(checkMarketingText(body.text, { contractBacksLowRate: body.contractBacksLowRate, contractBacksFree: body.contractBacksFree }));
  });
  return r;
}
