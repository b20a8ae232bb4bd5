import type { DataSource } from 'typeorm';
import { issueApiKey, listApiKeys, revokeApiKey, rotateApiKey } from '../service/api-keys';
import { actorOf } from '../../../platform/http/auth';
import { channelIdParams } from '../schemas';
import { anyObject, errors, json, problem } from '../../../platform/http/openapi';
import { defineRoute, type Route } from '../../../platform/http/route';
import { apiKeyCreateSchema, apiKeyParams, apiKeyRevokeSchema, apiKeyRotateSchema } from '../../audit/schemas';

/**
 * What a repeat of an issue or rotate with the same Idempotency-Key gets: the key's ID, not its
 * secret, which is shown once and stored nowhere (not even with the stored answer).
 */
const withoutSecret = <T extends { apiKey: string; note: string }>(answer: T) => ({
  ...answer,
  apiKey: null,
  note: 'a repeat of the request that issued this key: the secret was shown once; revoke the key and issue another if it was lost',
});

const noSuchChannel = { ...errors, 404: problem('no such channel') };

/** Channel partners' API keys, for admins: issue, list, revoke, rotate (src/modules/channel/service/api-keys.ts). */
export function apiKeyRoutes(deps: { db: DataSource }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/channels/{id}/api-keys',
      summary: 'A channel’s API keys and their state (never the secrets)',
      roles: ['admin'],
      request: { params: channelIdParams },
      responses: { 200: json(anyObject, 'items'), ...noSuchChannel },
      handler: async ({ params }, _req, res) => {
        res.json(await listApiKeys(deps.db, params.id));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/channels/{id}/api-keys',
      summary: 'Issue an API key for a channel (shown once; audited)',
      roles: ['admin'],
      request: { params: channelIdParams, body: apiKeyCreateSchema },
      responses: { 201: json(anyObject, 'the key'), ...noSuchChannel },
      handler: async ({ params, body }, req, res) => {
        const issued = await issueApiKey(deps.db, actorOf(req), params.id, body.label);
        res.locals.idempotentBody = withoutSecret(issued);
        res.status(201).json(issued);
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/channels/{id}/api-keys/{keyId}/revoke',
      summary: 'Revoke a channel’s API key, now or at a set time within 72 hours (audited)',
      roles: ['admin'],
      request: { params: apiKeyParams, body: apiKeyRevokeSchema },
      responses: {
        200: json(anyObject, 'the key'),
        ...errors,
        404: problem('no such channel or key'),
        409: problem('already revoked, or the revocation would be put off'),
      },
      handler: async ({ params, body }, req, res) => {
        res.json(await revokeApiKey(deps.db, actorOf(req), params.id, params.keyId, body));
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/channels/{id}/api-keys/{keyId}/rotate',
      summary: 'Issue a new key in an active key’s place; the old one works for an overlap (audited)',
      roles: ['admin'],
      request: { params: apiKeyParams, body: apiKeyRotateSchema },
      responses: {
        201: json(anyObject, 'the new key (shown once) and the replaced one'),
        ...errors,
        404: problem('no such channel or key'),
        409: problem('the key is revoked or already being replaced'),
      },
      handler: async ({ params, body }, req, res) => {
        const rotated = await rotateApiKey(deps.db, actorOf(req), params.id, params.keyId, body);
        res.locals.idempotentBody = withoutSecret(rotated);
        res.status(201).json(rotated);
      },
    }),
  ];
}
