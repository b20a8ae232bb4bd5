import { Router } from 'express';
import type { DataSource } from 'typeorm';
import { checkMarketingText } from '../../domain/marketing-text';
import { appendAudit } from '../../db/audit';
import { actorOf, newApiKey, requireRole } from '../auth';
import { AppError } from '../errors';
import { apiKeyCreateSchema, marketingTextSchema } from '../schemas';


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

  r.post('/channels/:id/api-keys', requireRole('admin'), async (req, res) => {
    const body = apiKeyCreateSchema.parse(req.body ?? {});
    const channelId = String(req.params.id);
    const [channel] = await deps.db.query('SELECT 1 FROM channels WHERE id = $1', [channelId]);
    if (!channel) throw new AppError(404, 'channel_not_found', `channel ${channelId} was not found`);
    const actor = actorOf(req);
    const key = newApiKey();
    await deps.db.transaction(async (m) => {
      await m.query('INSERT INTO channel_api_keys (key_id, channel_id, label, secret_hash, created_by) VALUES ($1,$2,$3,$4,$5)', [key.keyId, channelId, body.label, key.secretHash, actor.sub]);
      await appendAudit(m, { actorSub: actor.sub, actorRole: actor.role, action: 'channel.api_key_issued', targetType: 'channel', targetId: channelId, details: { keyId: key.keyId } });
    });
    res.status(201).json({ keyId: key.keyId, channelId, label: body.label, apiKey: key.key, note: 'shown once: store it now' });
  });

  r.post('/marketing-texts/check', (req, res) => {
    const body = marketingTextSchema.parse(req.body ?? {});
    res.json(checkMarketingText(body.text, { contractBacksLowRate: body.contractBacksLowRate, contractBacksFree: body.contractBacksFree }));
  });
  return r;
}
