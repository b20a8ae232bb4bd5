import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { problemHandler } from '../../src/platform/http/errors';
import { buildOpenApiDocument, json } from '../../src/platform/http/openapi';
import { defineRoute, mountRoutes, type Route } from '../../src/platform/http/route';
import type { Role } from '../../src/platform/domain/types';

const seen: unknown[] = [];
const routes: Route[] = [
  defineRoute({
    method: 'post',
    path: '/v1/things/{id}/notes',
    summary: 'Add a note to a thing',
    roles: ['broker', 'manager'],
    own: ['broker'],
    request: { params: z.object({ id: z.uuid() }), body: z.strictObject({ note: z.string().min(1) }) },
    responses: { 201: json(z.object({ id: z.string(), note: z.string() }), 'the note') },
    handler: ({ params, body }, _req, res) => {
      seen.push({ params, body });
      res.status(201).json({ id: params.id, note: body.note });
    },
  }),
  defineRoute({
    method: 'get',
    path: '/v1/things',
    summary: 'List things',
    roles: 'signed_in',
    request: { query: z.strictObject({ limit: z.coerce.number().int().max(10).default(5) }) },
    responses: { 200: json(z.object({ limit: z.number() }), 'a page') },
    handler: ({ query }, _req, res) => {
      res.json({ limit: query.limit });
    },
  }),
];

/** The routes mounted under /v1 as the app mounts them, behind a stand-in for authentication that takes the role from a header. */
async function call(method: string, path: string, role: Role | null, body?: unknown) {
  const app = express();
  const v1 = express.Router();
  v1.use(express.json());
  v1.use((req, _res, next) => {
    if (role) req.actor = { sub: 'u1', role };
    next();
  });
  v1.use(mountRoutes(express.Router(), routes, '/v1'));
  app.use('/v1', v1);
  app.use(problemHandler(() => undefined));
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } finally {
    server.close();
  }
}

const id = '5b7f0c1e-3f4a-4c2b-9a8e-1d2c3b4a5f60';

test('the router checks the declared roles before anything else, then parses with the declared schemas', async () => {
  expect(await call('POST', `/v1/things/${id}/notes`, 'admin', { note: 'x' })).toMatchObject({
    status: 403,
    body: { code: 'forbidden' },
  });
  expect(await call('POST', `/v1/things/${id}/notes`, null, { note: 'x' })).toMatchObject({ status: 401 });
  expect(await call('POST', `/v1/things/${id}/notes`, 'broker', { note: 'x' })).toEqual({
    status: 201,
    body: { id, note: 'x' },
  });
  expect(seen).toEqual([{ params: { id }, body: { note: 'x' } }]);
  // The body is judged before the path's IDs.
  const bad = await call('POST', '/v1/things/not-an-id/notes', 'manager', { note: '' });
  expect(bad).toMatchObject({ status: 422, body: { code: 'validation_failed', errors: [{ path: 'note' }] } });
  expect(await call('GET', '/v1/things?limit=7', 'channel')).toEqual({ status: 200, body: { limit: 7 } });
  expect(await call('GET', '/v1/things?limit=70', 'channel')).toMatchObject({ status: 422 });
});

test('the document lists each route with its roles, schemas and answers, from the same declarations', () => {
  const doc = buildOpenApiDocument(routes, { sessionCookie: 'sid' }) as any;
  const notes = doc.paths['/v1/things/{id}/notes'].post;
  expect(notes).toMatchObject({
    summary: 'Add a note to a thing',
    description: 'Who: broker (own), manager.',
    'x-roles': ['broker', 'manager'],
    'x-own-only': ['broker'],
    security: [{ bearer: [] }, { apiKey: [] }],
  });
  expect(notes.parameters.map((p: { name: string; in: string }) => `${p.in} ${p.name}`).sort()).toEqual([
    'header Idempotency-Key',
    'path id',
  ]);
  expect(notes.requestBody.content['application/json'].schema).toMatchObject({
    properties: { note: { type: 'string', minLength: 1 } },
    additionalProperties: false,
  });
  expect(Object.keys(notes.responses)).toEqual(['201']);
  const list = doc.paths['/v1/things'].get;
  expect(list.description).toBe('Who: anyone signed in.');
  expect(list['x-roles']).toHaveLength(6);
  expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(['limit']);
});
