import type { Actor } from '../../src/api/auth';
import { ROUTE_DOCS } from '../../src/api/openapi';
import { ROLES, type Role } from '../../src/domain/types';
import { aBroker, aChannel, aLead } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type TestStack } from '../support/stack';

/**
 * The access matrix, generated from the route table (ROUTE_DOCS, which the OpenAPI document is
 * built from): every role × every route × the caller's own resource and another's. A role the
 * route does not list gets 403; a listed role gets anything but 401/403 on a resource it may
 * reach, and 403 on another's when the route limits it to its own ("broker (own)", "assigned
 * broker", "channels their own"). Bodies are chosen to pass authorisation and then do little
 * (most fail validation or a business rule), so that each cell is one cheap request.
 */

interface Access {
  /** Roles the route admits. */
  roles: Set<Role>;
  /** Of those, the roles admitted only to their own resource. */
  ownOnly: Set<Role>;
}

const OWN = /\bown\b|\bits\b|\bhis\b|check-in’s|\btheir\b/;

/** Reads a route's `roles` text; throws on any part it cannot map to a role, so the docs stay precise enough to test. */
function parseRoles(text: string): Access | 'public' {
  if (text === 'anyone' || text.startsWith('ops')) return 'public';
  const [main, restriction] = text.split(';').map((s) => s.trim());
  const roles = new Set<Role>();
  const ownOnly = new Set<Role>();
  if (main === 'all' || main === 'anyone signed in') {
    for (const r of ROLES) roles.add(r);
  } else {
    for (const part of main.split(/,(?![^(]*\))/).map((s) => s.trim())) {
      const m = /^(assigned\s+)?([a-z_]+)(?:\s*\(([^)]*)\))?$/.exec(part);
      if (!m || !ROLES.includes(m[2] as Role)) throw new Error(`cannot read the role "${part}" in "${text}"`);
      roles.add(m[2] as Role);
      if (m[1] || (m[3] !== undefined && OWN.test(m[3]))) ownOnly.add(m[2] as Role);
    }
  }
  if (restriction) {
    const named = [...restriction.matchAll(/\b([a-z_]+)s\b/g)].map((m) => m[1]).filter((w) => ROLES.includes(w as Role));
    if (named.length === 0 || !OWN.test(restriction)) throw new Error(`cannot read the restriction "${restriction}" in "${text}"`);
    for (const r of named) ownOnly.add(r as Role);
  }
  return { roles, ownOnly };
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
  'post /v1/leads/{id}/outcome': () => ({ outcome: 'approved' }), // refused: nothing was submitted
  'post /v1/leads/{id}/assignment': () => ({ brokerId: 'no-such-broker' }),
  'post /v1/leads/{id}/human-review': () => ({}),
  'post /v1/leads/{id}/do-not-contact': () => ({}),
  'post /v1/leads/{id}/check-ins/{day}': () => ({ reached: false }),
  'post /v1/complaints': (w, which) => ({ caseId: w.caseId[which], category: 'service_attitude', description: '访问矩阵测试' }),
  'post /v1/complaints/{id}/first-response': () => ({ via: 'phone' }),
  'post /v1/channels/reviews': () => ({ channelIds: [] }),
};
const QUERIES: Record<string, string> = {
  'get /v1/leads/{id}/pii': '?purpose=customer_service',
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
  stack = await startStack({ POLICY_FILE: noQuietHours(), REFUSALS_PER_MINUTE: '100000', AUTH_FAILURES_PER_MINUTE: '10000' });
  const own = await aChannel(stack.db, { grade: 'premium' });
  const other = await aChannel(stack.db, { grade: 'premium' });
  const broker = { own: await aBroker(stack.db, own.team), other: await aBroker(stack.db, other.team) };
  const compliance: Actor = { sub: 'matrix-setup', role: 'compliance' };
  const caseIds = {} as Record<Which, string>;
  for (const [which, ch] of [['own', own], ['other', other]] as const) {
    const res = await stack.api({ sub: `partner-${ch.id}`, role: 'channel', channelId: ch.id }, 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    expect(res.status).toBe(201);
    caseIds[which] = res.body.caseId;
  }
  for (const which of ['own', 'other'] as const) {
    await eventually(async () => (await stack.db.query('SELECT broker_id FROM lead_cases WHERE id = $1', [caseIds[which]]))[0].broker_id === broker[which], `the ${which} case assigned`);
    // A check-in planned for each case's broker, for the check-in route.
    await stack.db.query(`INSERT INTO post_loan_check_ins (case_id, day, due_at, broker_id) VALUES ($1, 7, now(), $2)`, [caseIds[which], broker[which]]);
  }
  const complaintIds = {} as Record<Which, string>;
  for (const which of ['own', 'other'] as const) {
    const res = await stack.api(compliance, 'POST', '/v1/complaints', { caseId: caseIds[which], category: 'service_attitude', description: '访问矩阵测试' });
    expect(res.status).toBe(201);
    complaintIds[which] = res.body.complaintId;
  }
  world = { channel: { own: own.id, other: other.id }, broker, caseId: caseIds, complaintId: complaintIds };
});
afterAll(async () => stack?.stop());

const actorFor = (role: Role): Actor =>
  role === 'broker' ? { sub: world.broker.own, role: 'broker' }
    : role === 'channel' ? { sub: `partner-${world.channel.own}`, role: 'channel', channelId: world.channel.own }
      : { sub: `matrix-${role}`, role };

const routes = ROUTE_DOCS.filter((r) => inMatrix(r.path)).map((r) => ({ doc: r, access: parseRoles(r.roles) }));

test('every route’s roles can be read from the route table', () => {
  expect(ROUTE_DOCS.length).toBeGreaterThan(50);
  // parseRoles threw above for any it could not read; the public ones are health, metrics and the sign-in form.
  expect(routes.filter((r) => r.access === 'public').map((r) => r.doc.path).sort()).toEqual(['/healthz', '/metrics', '/readyz']);
  expect(parseRoles('broker (own), risk_officer, manager')).toEqual({ roles: new Set(['broker', 'risk_officer', 'manager']), ownOnly: new Set(['broker']) });
  expect(parseRoles('all; brokers and channels their own')).toEqual({ roles: new Set(ROLES), ownOnly: new Set(['broker', 'channel']) });
  expect(() => parseRoles('broker, the intern')).toThrow(/cannot read/);
});

test('every role × every route × own and other resource: allowed as declared, denied with 403 otherwise', async () => {
  const wrong: string[] = [];
  let cells = 0;
  for (const { doc, access } of routes) {
    if (access === 'public') continue;
    const key = `${doc.method} ${doc.path}`;
    const resource = resourceOf(doc.method, doc.path);
    for (const role of ROLES) {
      for (const which of resource ? (['own', 'other'] as const) : (['own'] as const)) {
        const expectAllowed = access.roles.has(role) && !(which === 'other' && access.ownOnly.has(role));
        const body = doc.method === 'get' ? undefined : (BODIES[key]?.(world, which) ?? {});
        const res = await stack.api(actorFor(role), doc.method.toUpperCase(), urlOf(world, doc.method, doc.path, which), body);
        cells++;
        const allowed = res.status !== 401 && res.status !== 403;
        if (allowed !== expectAllowed || (!allowed && res.status !== 403)) {
          wrong.push(`${key} as ${role} on ${which}: expected ${expectAllowed ? 'allowed' : '403'}, got ${res.status} ${res.body?.code ?? ''}`);
        }
      }
    }
  }
  expect(wrong).toEqual([]);
  expect(cells).toBeGreaterThan(400);
});
