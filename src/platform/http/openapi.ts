import {
  extendZodWithOpenApi,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ROLES } from '../domain/types';
import type { Credential, Route } from './route';

extendZodWithOpenApi(z);

/**
 * The OpenAPI 3.1 document, generated from the route declarations the router is mounted from
 * (src/platform/http/route.ts), with the zod schemas the handlers parse with: the contract, the validation
 * and the role checks cannot drift apart. Also the answers routes declare, and the common refusals.
 */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string().describe('in the caller’s language: Chinese when Accept-Language prefers zh, else English'),
    status: z.number().int(),
    code: z.string().describe('stable, machine-readable reason; the same in every language'),
    detail: z.string().describe('fit to show a person, in the caller’s language (as title)'),
    instance: z.string(),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string().describe('in the caller’s language (as title)') }))
      .optional(),
  })
  .passthrough();

export const anyObject = z.object({}).passthrough();

export const json = (schema: z.ZodType, description: string): ResponseConfig => ({
  description,
  content: { 'application/json': { schema } },
});
export const text = (description: string, type = 'text/plain'): ResponseConfig => ({
  description,
  content: { [type]: { schema: z.string() } },
});
export const problem = (description: string): ResponseConfig => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** Every /v1 route, the sign-in form included, answers this to a client over its limit of failed sign-ins. */
export const signInBlocked = problem(
  '`too_many_failed_authentications`: this client address failed to sign in too often in the last minute; see Retry-After',
);

/** What any signed-in route may answer besides its own. */
export const errors = {
  400: problem('the body is not valid JSON'),
  401: problem(
    'no or invalid credential: `unauthenticated`, `invalid_token` (bad signature, issuer, audience or algorithm; no `sub`, `iat` or `exp`; a lifetime over the maximum), `token_expired`, `invalid_api_key` (unknown or revoked)',
  ),
  403: problem(
    'the role or the resource is not yours; or, checked on every request, the credential’s holder is no longer current: `account_deactivated` (a deactivated broker), `account_unknown`, `channel_suspended` (every key and token of a suspended channel), `channel_unknown`',
  ),
  422: problem('invalid input or a business rule refused it'),
  413: problem('body too large'),
  415: problem('the body is not application/json'),
  429: problem(
    'too many requests: `rate_limited`, `too_many_failed_authentications` (this address), `too_many_refusals` (this caller); see Retry-After',
  ),
  503: problem('Postgres or Temporal unreachable; retry'),
};

/** What a route on one case may answer besides its own. */
export const caseErrors = {
  ...errors,
  404: problem('no such case'),
  409: problem('not possible in the case’s stage'),
  503: problem('Temporal or Postgres unreachable'),
};

const SECURITY: Record<Credential, RouteConfig['security']> = {
  token_or_api_key: [{ bearer: [] }, { apiKey: [] }],
  token_or_session: [{ bearer: [] }, { session: [] }],
  session: [{ session: [] }],
  none: [],
};

/** "broker (own), manager": the roles as the declaration names them. */
function who(route: Route): string {
  if (route.roles === 'public') return 'anyone';
  if (route.roles === 'signed_in') return 'anyone signed in';
  return route.roles.map((r) => (route.own?.includes(r) ? `${r} (own)` : r)).join(', ');
}

function operation(route: Route): RouteConfig {
  const { params, query, body, form } = route.request ?? {};
  const credential = route.roles === 'public' ? 'none' : (route.credential ?? 'token_or_api_key');
  const roles = route.roles === 'signed_in' ? ROLES : route.roles;
  return {
    method: route.method,
    path: route.path,
    summary: route.summary,
    description: [`Who: ${who(route)}.`, route.description].filter(Boolean).join(' '),
    security: SECURITY[credential],
    // Machine-readable, for clients and the access-matrix test: the roles admitted, and which of them to their own resources only.
    ...(roles === 'public' ? {} : { 'x-roles': [...roles] }),
    ...(route.own?.length ? { 'x-own-only': [...route.own] } : {}),
    request: {
      params,
      query,
      // The Idempotency-Key middleware serves every POST under /v1 behind a bearer token or API key.
      headers:
        route.method === 'post' && credential === 'token_or_api_key'
          ? z.object({ 'Idempotency-Key': z.string().max(128).optional() })
          : undefined,
      body: body
        ? { content: { 'application/json': { schema: body } }, required: true }
        : form
          ? { content: { 'application/x-www-form-urlencoded': { schema: form } }, required: true }
          : undefined,
    },
    responses: route.responses,
  };
}

export function buildOpenApiDocument(
  routes: readonly Route[],
  opts: { sessionCookie: string },
): Record<string, unknown> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: `claims: sub, role (${ROLES.join(', ')}), team, channelId`,
  });
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'a channel partner’s key, tied to one channel',
  });
  registry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: opts.sessionCookie,
    description: 'the Web UI session that POST /v1/session opens',
  });
  for (const route of routes) registry.registerPath(operation(route));
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Lead case engine API',
      version: '1.0.0',
      description:
        'Brokers, risk officers, managers, compliance and channel partners act on lead cases. Errors are application/problem+json with a stable `code`.',
    },
    servers: [{ url: '/' }],
  }) as unknown as Record<string, unknown>;
}
