import type { Actor } from '../../src/platform/http/auth';
import { ROLES, type Role } from '../../src/platform/domain/types';
import { aBroker, aChannel, aLead } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type TestStack } from '../support/stack';

/**
 * The access matrix, generated from the OpenAPI document, which is generated from the route
 * declarations the router is mounted from (src/platform/http/route.ts): every role × every route × the
 * caller's own resource and another's. A role the route does not list (`x-roles`) gets 403; a listed
 * role gets anything but 401/403 on a resource it may reach, and 403 on another's when the route
 * limits it to its own (`x-own-only`). Bodies are chosen to pass authorisation and then do little
 * (most fail validation or a business rule), so that each cell is one cheap request.
 */

interface Access {
  /** Roles the route admits. */
  roles: Set<Role>;
  /** Of those, the roles admitted only to their own resource. */
  ownOnly: Set<Role>;
}

interface DocumentedRoute {
  method: string;
  path: string;
  access: Access | 'public';
}

/** The routes of an OpenAPI document with the roles each declares; a route without `x-roles` is public. */
function routesOf(doc: {
  paths: Record<string, Record<string, { 'x-roles'?: Role[]; 'x-own-only'?: Role[] }>>;
}): DocumentedRoute[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method,
      path,
      access: op['x-roles']
        ? { roles: new Set(op['x-roles']), ownOnly: new Set(op['x-own-only'] ?? []) }
        : ('public' as const),
    })),
  );
}

/** Routes outside the matrix, and why. */
const NOT_IN_MATRIX: [RegExp, string][] = [
  [/^\/v1\/session(\/|$)/, 'the Web UI session routes take their credential in a form body or a cookie, not a header'],
];
const inMatrix = (path: string) => !NOT_IN_MATRIX.some(([re]) => re.test(path));

type Which = 'own' | 'other';
interface World {
  channel: Record<Which, string>;
  broker: Record<Which, string>;
  caseId: Record<Which, string>;
  complaintId: Record<Which, string>;
}

/** Bodies that pass authorisation and then do as little as possible; `{}` (a validation failure) otherwise. */
const BODIES: Record<string, (w: World, which: Which) => unknown> = {
  'post /v1/leads': (w, which) => aLead({ channelId: w.channel[which], consent: null }),
  'post /v1/leads/{id}/consents': () => ({ noticeVersion: 'no-such-notice', purposes: ['marketing'] }),
  'post /v1/leads/{id}/consents/withdraw': () => ({ purposes: ['marketing'] }),
  'post /v1/leads/{id}/contact-attempts': () => ({ channel: 'phone', purpose: 'service', outcome: 'no_answer' }),
  'post /v1/leads/{id}/selection': () => ({ productId: 'no-such-product' }),
  'post /v1/leads/{id}/cost-disclosure-acknowledgements': () => ({
    productId: 'no-such-product',
    disclosureHash: '0'.repeat(64),
  }),
  'post /v1/leads/{id}/outcome': () => ({ outcome: 'approved' }), // refused: nothing was submitted
  'post /v1/leads/{id}/assignment': () => ({ brokerId: 'no-such-broker' }),
  'post /v1/leads/{id}/human-review': () => ({}),
  'post /v1/leads/{id}/do-not-contact': () => ({}),
  'post /v1/leads/{id}/check-ins/{day}': () => ({ reached: false }),
  'post /v1/complaints': (w, which) => ({
    caseId: w.caseId[which],
    category: 'service_attitude',
    description: '访问矩阵测试',
  }),
  'post /v1/complaints/{id}/first-response': () => ({ via: 'phone' }),
  'post /v1/channels/reviews': () => ({ channelIds: [] }),
};
const QUERIES: Record<string, string> = {
  'get /v1/leads/{id}/pii': '?purpose=customer_service',
  'get /v1/leads/{id}/lender-package': '?lenderId=no-such-lender',
  'get /v1/channels/{id}/figures': '?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z',
  'get /v1/reports/funnel': '?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z',
};

/** The resource a route acts on, when it has one the caller may or may not own. */
function resourceOf(method: string, path: string): 'case' | 'complaint' | 'channel' | 'body' | null {
  if (path.startsWith('/v1/leads/{id}')) return 'case';
  if (path.startsWith('/v1/complaints/{id}')) return 'complaint';
  if (path.startsWith('/v1/channels/{id}')) return 'channel';
  if (method === 'post' && (path === '/v1/leads' || path === '/v1/complaints')) return 'body';
  return null;
}

function urlOf(w: World, method: string, path: string, which: Which): string {
  const filled = path
    .replace('/v1/leads/{id}', `/v1/leads/${w.caseId[which]}`)
    .replace('/v1/complaints/{id}', `/v1/complaints/${w.complaintId[which]}`)
    .replace('/v1/channels/{id}', `/v1/channels/${w.channel[which]}`)
    .replace('/v1/brokers/{id}', '/v1/brokers/no-such-broker') // a real one would be deactivated
    .replace('{keyId}', '0123456789abcdef')
    .replace('{version}', '2026-01')
    .replace('{day}', '7');
  return filled + (QUERIES[`${method} ${path}`] ?? '');
}

let stack: TestStack;
let world: World;
beforeAll(async () => {
  // Many refusals from one address and one actor are the point here: the abuse limits would answer 429 instead.
  stack = await startStack({
    POLICY_FILE: noQuietHours(),
    REFUSALS_PER_MINUTE: '100000',
    AUTH_FAILURES_PER_MINUTE: '10000',
  });
  const own = await aChannel(stack.db, { grade: 'premium' });
  const other = await aChannel(stack.db, { grade: 'premium' });
  const broker = { own: await aBroker(stack.db, own.team), other: await aBroker(stack.db, other.team) };
  const compliance: Actor = { sub: 'matrix-setup', role: 'compliance' };
  const caseIds = {} as Record<Which, string>;
  for (const [which, ch] of [
    ['own', own],
    ['other', other],
  ] as const) {
    const res = await stack.api(
      { sub: `partner-${ch.id}`, role: 'channel', channelId: ch.id },
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id }),
    );
    expect(res.status).toBe(201);
    caseIds[which] = res.body.caseId;
  }
  for (const which of ['own', 'other'] as const) {
    await eventually(
      async () =>
        (await stack.db.query('SELECT broker_id FROM lead_cases WHERE id = $1', [caseIds[which]]))[0].broker_id ===
        broker[which],
      `the ${which} case assigned`,
    );
    // A check-in planned for each case's broker, for the check-in route.
    await stack.db.query(
      `INSERT INTO post_loan_check_ins (case_id, day, due_at, broker_id) VALUES ($1, 7, now(), $2)`,
      [caseIds[which], broker[which]],
    );
  }
  const complaintIds = {} as Record<Which, string>;
  for (const which of ['own', 'other'] as const) {
    const res = await stack.api(compliance, 'POST', '/v1/complaints', {
      caseId: caseIds[which],
      category: 'service_attitude',
      description: '访问矩阵测试',
    });
    expect(res.status).toBe(201);
    complaintIds[which] = res.body.complaintId;
  }
  world = { channel: { own: own.id, other: other.id }, broker, caseId: caseIds, complaintId: complaintIds };
});
afterAll(async () => stack?.stop());

const actorFor = (role: Role): Actor =>
  role === 'broker'
    ? { sub: world.broker.own, role: 'broker' }
    : role === 'channel'
      ? { sub: `partner-${world.channel.own}`, role: 'channel', channelId: world.channel.own }
      : { sub: `matrix-${role}`, role };

let routes: DocumentedRoute[];
beforeAll(async () => {
  routes = routesOf((await stack.api(null, 'GET', '/openapi.json')).body).filter((r) => inMatrix(r.path));
});

test('every route names its roles in the document, and only health, readiness and metrics are public', () => {
  expect(routes.length).toBeGreaterThan(50);
  expect(
    routes
      .filter((r) => r.access === 'public')
      .map((r) => r.path)
      .sort(),
  ).toEqual(['/healthz', '/metrics', '/readyz']);
  for (const { method, path, access } of routes) {
    if (access === 'public') continue;
    const unknown = [...access.roles, ...access.ownOnly].filter((r) => !ROLES.includes(r) || !access.roles.has(r));
    expect([method, path, access.roles.size > 0, unknown]).toEqual([method, path, true, []]);
  }
});

test('every role × every route × own and other resource: allowed as declared, denied with 403 otherwise', async () => {
  const wrong: string[] = [];
  let cells = 0;
  for (const { method, path, access } of routes) {
    if (access === 'public') continue;
    const key = `${method} ${path}`;
    const resource = resourceOf(method, path);
    for (const role of ROLES) {
      for (const which of resource ? (['own', 'other'] as const) : (['own'] as const)) {
        const expectAllowed = access.roles.has(role) && !(which === 'other' && access.ownOnly.has(role));
        const body = method === 'get' ? undefined : (BODIES[key]?.(world, which) ?? {});
        const res = await stack.api(actorFor(role), method.toUpperCase(), urlOf(world, method, path, which), body);
        cells++;
        const allowed = res.status !== 401 && res.status !== 403;
        if (allowed !== expectAllowed || (!allowed && res.status !== 403)) {
          wrong.push(
            `${key} as ${role} on ${which}: expected ${expectAllowed ? 'allowed' : '403'}, got ${res.status} ${res.body?.code ?? ''}`,
          );
        }
      }
    }
  }
  expect(wrong).toEqual([]);
  expect(cells).toBeGreaterThan(400);
});
