import { Router } from 'express';
import type { DataSource } from 'typeorm';
import { issueApiKey, listApiKeys, revokeApiKey, rotateApiKey } from '../../services/api-keys';
import { actorOf, requireRole } from '../auth';
import { channelIdParams } from '../channel-schemas';
import { apiKeyCreateSchema, apiKeyParams, apiKeyRevokeSchema, apiKeyRotateSchema } from '../schemas';

/**
 * What a repeat of an issue or rotate with the same Idempotency-Key gets: the key's ID, not its
 * secret, which is shown once and stored nowhere (not even with the stored answer).
 */
const withoutSecret = <T extends { apiKey: string; note: string }>(answer: T) => ({
  ...answer,
  apiKey: null,
  note: 'a repeat of the request that issued this key: the secret was shown once; revoke the key and issue another if it was lost',
});

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
    const issued = await issueApiKey(deps.db, actorOf(req), id, body.label);
    res.locals.idempotentBody = withoutSecret(issued);
    res.status(201).json(issued);
  });

  r.post('/channels/:id/api-keys/:keyId/revoke', requireRole('admin'), async (req, res) => {
    const { id, keyId } = apiKeyParams.parse(req.params);
    const body = apiKeyRevokeSchema.parse(req.body ?? {});
    res.json(await revokeApiKey(deps.db, actorOf(req), id, keyId, body));
  });

  r.post('/channels/:id/api-keys/:keyId/rotate', requireRole('admin'), async (req, res) => {
    const { id, keyId } = apiKeyParams.parse(req.params);
    const body = apiKeyRotateSchema.parse(req.body ?? {});
    const rotated = await rotateApiKey(deps.db, actorOf(req), id, keyId, body);
    res.locals.idempotentBody = withoutSecret(rotated);
    res.status(201).json(rotated);
  });

  return r;
}
