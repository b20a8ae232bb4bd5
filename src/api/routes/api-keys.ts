import { Router } from 'express';
import type { DataSource } from 'typeorm';
import { issueApiKey, listApiKeys, revokeApiKey, rotateApiKey } from '../../services/api-keys';
import { actorOf, requireRole } from '../auth';
import { channelIdParams } from '../channel-schemas';
import { apiKeyCreateSchema, apiKeyParams, apiKeyRevokeSchema, apiKeyRotateSchema } from '../schemas';

/** Channel partners' API keys, for admins: issue, list, revoke, rotate (src/services/api-keys.ts). */
export function apiKeyRoutes(deps: { db: DataSource }): Router {
  const r = Router();

  r.get('/channels/:id/api-keys', requireRole('admin'), async (req, res) => {
    const { id } = channelIdParams.parse(req.params);
    res.json(await listApiKeys(deps.db, id));
  });

  r.post('/channels/:id/api-keys', requireRole('admin'), async (req, res) => {
    const { id } = channelIdParams.parse(req.params);
    const body = apiKeyCreateSchema.parse(req.body ?? {});
    res.status(201).json(await issueApiKey(deps.db, actorOf(req), id, body.label));
  });

  r.post('/channels/:id/api-keys/:keyId/revoke', requireRole('admin'), async (req, res) => {
    const { id, keyId } = apiKeyParams.parse(req.params);
    const body = apiKeyRevokeSchema.parse(req.body ?? {});
    res.json(await revokeApiKey(deps.db, actorOf(req), id, keyId, body));
  });

  r.post('/channels/:id/api-keys/:keyId/rotate', requireRole('admin'), async (req, res) => {
    const { id, keyId } = apiKeyParams.parse(req.params);
    const body = apiKeyRotateSchema.parse(req.body ?? {});
    res.status(201).json(await rotateApiKey(deps.db, actorOf(req), id, keyId, body));
  });

  return r;
}
