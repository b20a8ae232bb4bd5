import type { z } from 'zod';
import { DomainError } from '../../domain/errors';
import { checkMarketingText } from '../../domain/marketing-text';
import type { Role } from '../../domain/types';
import { appendAudit } from '../../db/audit';
import { saveBroker } from '../../services/brokers';
import type { CaseDeps } from '../../services/cases';
import { actorOf } from '../auth';
import { anyObject, errors, json, problem } from '../openapi';
import { defineRoute, type Route } from '../route';
import { brokerSavedSchema, brokerSchema, channelSchema, lenderSchema, marketingTextSchema, productSchema } from '../schemas';

const FK = '23503';

/** The matrices the rules read (lenders, products, channels, brokers) and the marketing-text check. */
export function referenceRoutes(deps: CaseDeps): Route[] {
  const list = (path: string, summary: string, sql: string) =>
    defineRoute({
      method: 'get', path, summary,
      roles: ['admin', 'manager'],
      responses: { 200: json(anyObject, 'items'), ...errors },
      handler: async (_input, _req, res) => {
        res.json({ items: await deps.db.query(sql) });
      },
    });

  // Create-or-replace by ID; every change is audited with who made it.
  const upsert = (kind: string, summary: string, roles: Role[], schema: z.ZodObject, sql: string, columns: string[]) =>
    defineRoute({
      method: 'post', path: `/v1/${kind}s`, summary,
      roles,
      request: { body: schema },
      responses: { 200: json(schema, 'replaced'), 201: json(schema, 'created'), ...errors },
      handler: async ({ body }, req, res) => {
        const actor = actorOf(req);
        const values = columns.map((c) => body[c] ?? null);
        let created = false;
        await deps.db.transaction(async (m) => {
          const [row] = await m.query(sql, values);
          created = row?.inserted === true;
          await appendAudit(m, { actorSub: actor.sub, actorRole: actor.role, action: `${kind}.saved`, targetType: kind, targetId: String(body.id), details: { created } });
        });
        res.status(created ? 201 : 200).json(body);
      },
    });

  return [
    list('/v1/lenders', 'Lenders', 'SELECT id, name, licence_no AS "licenceNo", licensed, active, demo FROM lenders ORDER BY id'),
    list(
      '/v1/products',
      'Products of licensed lenders',
      `SELECT id, lender_id AS "lenderId", name, apr_min_pct::float AS "aprMinPct", apr_max_pct::float AS "aprMaxPct", amount_min AS "amountMin",
              amount_max AS "amountMax", term_min_months AS "termMinMonths", term_max_months AS "termMaxMonths", secured,
              disbursement_days AS "disbursementDays", eligible_tiers AS "eligibleTiers", provinces, allows_non_local AS "allowsNonLocal",
              age_min AS "ageMin", age_max AS "ageMax", active, demo FROM products ORDER BY id`,
    ),
    list('/v1/channels', 'Channels and their grades', 'SELECT id, name, type, partner, grade, suspended, team, cac_cny AS "cacCny", demo FROM channels ORDER BY id'),
    list(
      '/v1/brokers',
      'Brokers and their open cases',
      `SELECT b.id, b.display_name AS "displayName", b.team, b.active, b.demo,
              (SELECT count(*)::int FROM lead_cases c WHERE c.broker_id = b.id AND c.is_open) AS "openCases"
         FROM brokers b ORDER BY b.id`,
    ),

    upsert('lender', 'Create or replace a lender', ['admin'], lenderSchema,
      `INSERT INTO lenders (id, name, licence_no, licensed, active) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, licence_no = EXCLUDED.licence_no, licensed = EXCLUDED.licensed, active = EXCLUDED.active
       RETURNING (xmax = 0) AS inserted`,
      ['id', 'name', 'licenceNo', 'licensed', 'active']),
    upsert('channel', 'Create or replace a channel (grade, suspension)', ['admin'], channelSchema,
      `INSERT INTO channels (id, name, type, partner, grade, suspended, suspension_reason, cac_cny, team, suspended_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9, CASE WHEN $6 THEN 'admin' END)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, type = EXCLUDED.type, partner = EXCLUDED.partner, grade = EXCLUDED.grade,
         suspended = EXCLUDED.suspended, suspension_reason = EXCLUDED.suspension_reason, cac_cny = EXCLUDED.cac_cny, team = EXCLUDED.team,
         suspended_by = CASE WHEN NOT EXCLUDED.suspended THEN NULL WHEN channels.suspended THEN channels.suspended_by ELSE 'admin' END
       RETURNING (xmax = 0) AS inserted`,
      ['id', 'name', 'type', 'partner', 'grade', 'suspended', 'suspensionReason', 'cacCny', 'team']),

    // Deactivating a broker hands over their open cases (src/services/brokers.ts).
    defineRoute({
      method: 'post', path: '/v1/brokers',
      summary: 'Create or replace a broker; deactivating one (active: false) ends their access at their next request and hands over their open cases as offboarding does',
      roles: ['admin', 'manager'],
      request: { body: brokerSchema },
      responses: {
        200: json(brokerSavedSchema, 'replaced'),
        201: json(brokerSavedSchema, 'created'),
        ...errors,
        409: problem('`offboarding_in_progress`: reactivating a broker whose hand-over is still running; retry when it has finished'),
        503: problem('Temporal unreachable: the broker is deactivated but the hand-over has not started; send the same request again'),
      },
      handler: async ({ body }, req, res) => {
        const saved = await saveBroker(deps, actorOf(req), body);
        res.status(saved.created ? 201 : 200).json({ ...saved.broker, handOver: saved.handOver });
      },
    }),

    defineRoute({
      method: 'post', path: '/v1/products', summary: 'Create or replace a product',
      roles: ['admin'],
      request: { body: productSchema },
      responses: { 200: json(productSchema, 'replaced'), 201: json(productSchema, 'created'), ...errors },
      handler: async ({ body }, req, res) => {
        const actor = actorOf(req);
        let created = false;
        try {
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
        } catch (err) {
          if ((err as { code?: string }).code === FK) throw new DomainError('unknown_lender', `lender ${body.lenderId} does not exist`);
          throw err;
        }
        res.status(created ? 201 : 200).json(body);
      },
    }),

    defineRoute({
      method: 'post', path: '/v1/marketing-texts/check', summary: 'Violations in a marketing text',
      roles: 'signed_in',
      request: { body: marketingTextSchema },
      responses: { 200: json(anyObject, 'violations with positions'), ...errors },
      handler: ({ body }, _req, res) => {
        res.json(checkMarketingText(body.text, { contractBacksLowRate: body.contractBacksLowRate, contractBacksFree: body.contractBacksFree }));
      },
    }),
  ];
}
