import { verifyAuditChain } from '../../src/platform/audit/verify';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createApp } from '../../src/api/app';
import { createLogger } from '../../src/platform/logger';
import type { Actor } from '../../src/platform/http/auth';
import { ROLES, type Role } from '../../src/platform/domain/types';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { eventually, openOwnerDatabase, startStack, type ApiResponse, type TestStack } from '../support/stack';

let stack: TestStack;
let doc: any;
beforeAll(async () => {
  stack = await startStack();
  doc = (await stack.api(null, 'GET', '/openapi.json')).body;
});
afterAll(async () => stack?.stop());

/** Validates a response against the OpenAPI document's schema for that route and status. */
function assertMatchesSpec(method: string, path: string, res: ApiResponse) {
  const op = doc.paths[path]?.[method];
  expect(op).toBeDefined();
  const response = op.responses[String(res.status)];
  expect(response).toBeDefined();
  const [mediaType, media] = Object.entries(response.content ?? {})[0] as [string, any];
  expect(res.headers.get('content-type')).toContain(mediaType);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile({ ...media.schema, components: doc.components, $defs: doc.components?.schemas });
  const ok = validate(res.body);
  if (!ok)
    throw new Error(
      `${method.toUpperCase()} ${path} ${res.status} does not match the spec: ${ajv.errorsText(validate.errors)}`,
    );
}

describe('OpenAPI', () => {
  test('/openapi.json is an OpenAPI 3.1 document that documents every route the app serves, with who may call it', () => {
    expect(doc.openapi).toBe('3.1.0');
    const app = createApp({
      cfg: stack.cfg,
      db: stack.db,
      temporal: stack.client,
      logger: createLogger('t', 'silent'),
    });
    const served = new Set<string>();
    const walk = (stack: any[]) => {
      for (const layer of stack) {
        if (layer.route) for (const m of Object.keys(layer.route.methods)) served.add(`${m} ${layer.route.path}`);
        else if (layer.handle?.stack) walk(layer.handle.stack);
      }
    };
    walk((app as any).router.stack);
    const operations = Object.entries<any>(doc.paths).flatMap(([path, ops]) =>
      Object.entries<any>(ops).map(([method, op]) => ({ method, path, op })),
    );
    const documented = operations.map(({ method, path }) => `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    // Mount prefixes are not visible on the layers: a served route counts as documented when a documented path ends with it.
    const isDocumented = (r: string) => {
      const [method, path] = r.split(' ');
      return documented.some((d) => d === r || (d.startsWith(`${method} `) && d.endsWith(path)));
    };
    const missing = [...served].filter((r) => !isDocumented(r) && r !== 'get /openapi.json');
    expect(missing).toEqual([]);
    expect(served.size).toBe(operations.length + 1);
    expect(Object.keys(doc.paths)).toContain('/v1/leads/{id}/consents/withdraw');

    // Each operation names the roles its declaration admits, or is public; its description says the same in words.
    for (const { method, path, op } of operations) {
      const roles: string[] | undefined = op['x-roles'];
      const who = roles
        ? roles.map((r) => ((op['x-own-only'] ?? []).includes(r) ? `${r} (own)` : r)).join(', ')
        : 'anyone';
      const named = roles && roles.length === ROLES.length ? [who, 'anyone signed in'] : [who];
      expect([method, path, named.some((w) => op.description.startsWith(`Who: ${w}.`))]).toEqual([method, path, true]);
      if (roles)
        expect([
          method,
          path,
          roles.length > 0 && roles.every((r) => (ROLES as readonly string[]).includes(r)),
        ]).toEqual([method, path, true]);
      else expect([method, path, op.security]).toEqual([method, path, []]);
    }
  });

  test('/docs serves Swagger UI', async () => {
    const res = await fetch(`${stack.baseUrl}/docs/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('swagger-ui');
  });

  test('responses of intake, reads, actions and refusals match the spec', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const intake = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    assertMatchesSpec('post', '/v1/leads', intake);
    const caseId = intake.body.caseId;
    await eventually(
      async () =>
        (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [caseId]))[0].stage === 'follow_up',
      'follow_up',
    );
    assertMatchesSpec('get', '/v1/leads/{id}', await stack.api(actors.manager(), 'GET', `/v1/leads/${caseId}`));
    assertMatchesSpec('get', '/v1/leads', await stack.api(actors.manager(), 'GET', `/v1/leads?channelId=${ch.id}`));
    assertMatchesSpec(
      'post',
      '/v1/leads/{id}/do-not-contact',
      await stack.api(actors.manager(), 'POST', `/v1/leads/${caseId}/do-not-contact`, {}),
    );
    assertMatchesSpec(
      'post',
      '/v1/leads/{id}/review',
      await stack.api(actors.risk(), 'POST', `/v1/leads/${caseId}/review`, { decision: 'approve', reason: 'x' }),
    );
    assertMatchesSpec(
      'post',
      '/v1/leads',
      await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', { channelId: ch.id }),
    );
    assertMatchesSpec('get', '/v1/leads/{id}', await stack.api(null, 'GET', `/v1/leads/${caseId}`));
  });
});

describe('who may do what', () => {
  // The allowed roles of each route; every other role must get 403.
  const ROLES: Role[] = ['broker', 'manager', 'risk_officer', 'compliance', 'admin', 'channel'];
  const matrix: [string, string, Role[], unknown?][] = [
    ['POST', '/v1/leads', ['channel', 'broker', 'manager', 'admin'], {}],
    ['GET', '/v1/leads', ROLES],
    ['POST', '/v1/leads/{id}/consents', ['channel', 'broker'], {}],
    ['POST', '/v1/leads/{id}/consents/withdraw', ['channel', 'broker', 'compliance'], {}],
    ['POST', '/v1/leads/{id}/review', ['risk_officer'], {}],
    ['GET', '/v1/leads/{id}/decision', ['compliance', 'channel', 'manager', 'risk_officer']],
    ['POST', '/v1/leads/{id}/human-review', ['compliance', 'channel'], {}],
    ['POST', '/v1/leads/{id}/contact-attempts', ['broker'], {}],
    ['POST', '/v1/leads/{id}/do-not-contact', ['broker', 'manager', 'compliance'], {}],
    ['POST', '/v1/leads/{id}/selection', ['broker'], {}],
    ['POST', '/v1/leads/{id}/outcome', ['broker'], {}],
    ['POST', '/v1/leads/{id}/assignment', ['manager'], {}],
    ['POST', '/v1/leads/{id}/legal-hold', ['compliance'], {}],
    ['GET', '/v1/leads/{id}/pii?purpose=customer_service', ['broker', 'risk_officer', 'manager', 'compliance']],
    ['POST', '/v1/brokers/no-such-broker/offboarding', ['manager'], {}], // a real one would be deactivated for every later test
    ['GET', '/v1/products', ['admin', 'manager']],
    ['GET', '/v1/lenders', ['admin', 'manager']],
    ['GET', '/v1/channels', ['admin', 'manager']],
    ['GET', '/v1/brokers', ['admin', 'manager']],
    ['POST', '/v1/channels/ch-online-ads/api-keys', ['admin'], {}],
    ['GET', '/v1/channels/ch-online-ads/api-keys', ['admin']],
    ['POST', '/v1/consent-notices', ['compliance'], {}],
    ['POST', '/v1/blacklist', ['risk_officer', 'compliance'], {}],
    ['POST', '/v1/blacklist/remove', ['risk_officer', 'compliance'], {}],
    ['POST', '/v1/blacklist/check', ['risk_officer', 'compliance'], {}],
    ['POST', '/v1/lender-applications', ['risk_officer', 'admin'], {}],
    ['POST', '/v1/complaints/{id}/legal-hold', ['compliance'], {}],
    ['POST', '/v1/channels/ch-online-ads/api-keys/0123456789abcdef/revoke', ['admin'], {}],
    ['POST', '/v1/channels/ch-online-ads/api-keys/0123456789abcdef/rotate', ['admin'], {}],
    ['GET', '/v1/audit', ['compliance']],
    ['GET', '/v1/leads/{id}/export', ['compliance']],
    ['GET', '/v1/leads/{id}/legal-holds', ['compliance']],
    ['GET', '/v1/reports/funnel?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z', ['manager']],
    ['POST', '/v1/products', ['admin'], {}],
    ['POST', '/v1/lenders', ['admin'], {}],
    ['POST', '/v1/channels', ['admin'], {}],
    ['POST', '/v1/brokers', ['admin', 'manager'], {}],
    ['GET', '/v1/audit/verify', ['compliance']],
  ];

  test('no role reaches a route it must not, and each refusal is 403 problem+json and audited', async () => {
    // One case that every role could in principle see (its channel's partner, its submitting broker).
    const ch = await aChannel(stack.db);
    const caseId = (
      await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }))
    ).body.caseId;
    // A broker is let in only while the brokers table names them and they are active.
    await stack.db.query(
      `INSERT INTO brokers (id, display_name, team, active) VALUES ('matrix-broker', 'matrix broker', $1, true) ON CONFLICT (id) DO UPDATE SET active = true`,
      [ch.team],
    );
    const as = (role: Role): Actor => (role === 'channel' ? actors.channel(ch.id) : { sub: `matrix-${role}`, role });
    const wrongRoleCalls: string[] = [];
    for (const [method, path, allowed, body] of matrix) {
      for (const role of ROLES) {
        const res = await stack.api(as(role), method, path.replace('{id}', caseId), body);
        if (allowed.includes(role)) {
          expect([method, path, role, res.body?.code === 'forbidden']).toEqual([method, path, role, false]);
        } else {
          expect([method, path, role, res.status]).toEqual([method, path, role, 403]);
          expect(res.headers.get('content-type')).toMatch(/problem\+json/);
          wrongRoleCalls.push(`matrix-${role}`);
        }
      }
    }
    // Refusals are audited within bounds (the first few of each actor at once, the rest counted in a
    // summary when the minute ends: test/integration/refusals-and-floods.test.ts): every refused actor is in the trail.
    const refused = [...new Set(wrongRoleCalls.filter((s) => s !== 'matrix-channel'))].sort();
    await eventually(async () => {
      const rows = await stack.db.query(
        `SELECT DISTINCT actor_sub FROM audit_events WHERE action = 'access.refused' AND actor_sub LIKE 'matrix-%' ORDER BY actor_sub`,
      );
      return JSON.stringify(rows.map((r: { actor_sub: string }) => r.actor_sub)) === JSON.stringify(refused);
    }, 'refusals in the audit trail');
  });
});

describe('channel API keys', () => {
  test('an admin issues a key; the channel submits with it; it works for its own channel only; a wrong key is refused', async () => {
    const ch = await aChannel(stack.db);
    const other = await aChannel(stack.db);
    const issued = await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys`, { label: 'partner prod' });
    expect(issued.status).toBe(201);
    const key = issued.body.apiKey as string;
    const [stored] = await stack.db.query('SELECT secret_hash FROM channel_api_keys WHERE key_id = $1', [
      issued.body.keyId,
    ]);
    expect(key).not.toContain(stored.secret_hash);
    expect(key.split('.')[1]).not.toBe(stored.secret_hash);

    const ok = await stack.api(null, 'POST', '/v1/leads', aLead({ channelId: ch.id }), { 'x-api-key': key });
    expect(ok.status).toBe(201);
    const theirs = await stack.api(null, 'POST', '/v1/leads', aLead({ channelId: other.id }), { 'x-api-key': key });
    expect([theirs.status, theirs.body.code]).toEqual([403, 'channel_mismatch']);
    const forged = await stack.api(null, 'POST', '/v1/leads', aLead({ channelId: ch.id }), {
      'x-api-key': `${key.slice(0, -3)}abc`,
    });
    expect([forged.status, forged.body.code]).toEqual([401, 'invalid_api_key']);
    await stack.db.query('UPDATE channel_api_keys SET revoked_at = now() WHERE key_id = $1', [issued.body.keyId]);
    const revoked = await stack.api(null, 'POST', '/v1/leads', aLead({ channelId: ch.id }), { 'x-api-key': key });
    expect(revoked.status).toBe(401);
  });
});

describe('revoking and rotating channel API keys', () => {
  const submit = (key: string, channelId: string) =>
    stack.api(null, 'POST', '/v1/leads', aLead({ channelId }), { 'x-api-key': key });
  const issue = async (channelId: string, label = 'partner prod') =>
    (await stack.api(actors.admin(), 'POST', `/v1/channels/${channelId}/api-keys`, { label })).body;
  const keysOf = async (channelId: string) =>
    (await stack.api(actors.admin(), 'GET', `/v1/channels/${channelId}/api-keys`)).body.items as Record<
      string,
      unknown
    >[];
  const auditOf = async (channelId: string) =>
    (await stack.db.query(
      `SELECT action, actor_sub, details FROM audit_events WHERE target_type = 'channel' AND target_id = $1 ORDER BY id`,
      [channelId],
    )) as { action: string; actor_sub: string; details: Record<string, unknown> }[];

  test('a revoked key is refused at once, listed as revoked with who and why, and revoking it again is 409', async () => {
    const ch = await aChannel(stack.db);
    const key = await issue(ch.id);
    const kept = await issue(ch.id, 'partner backup');
    expect((await submit(key.apiKey, ch.id)).status).toBe(201);

    const revoked = await stack.api(
      actors.admin('admin-1'),
      'POST',
      `/v1/channels/${ch.id}/api-keys/${key.keyId}/revoke`,
      { reason: 'leaked in a partner ticket' },
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      keyId: key.keyId,
      channelId: ch.id,
      state: 'revoked',
      revokedBy: 'admin-1',
      reason: 'leaked in a partner ticket',
      replacedBy: null,
    });
    expect([(await submit(key.apiKey, ch.id)).status, (await submit(key.apiKey, ch.id)).body.code]).toEqual([
      401,
      'invalid_api_key',
    ]);
    expect((await submit(kept.apiKey, ch.id)).status).toBe(201); // the channel's other key still works

    const listed = await keysOf(ch.id);
    expect(listed.map((k) => [k.keyId, k.state])).toEqual([
      [key.keyId, 'revoked'],
      [kept.keyId, 'active'],
    ]);
    for (const k of listed)
      expect(Object.keys(k).sort()).toEqual([
        'channelId',
        'createdAt',
        'createdBy',
        'keyId',
        'label',
        'reason',
        'replacedBy',
        'revokedAt',
        'revokedBy',
        'state',
      ]);
    expect(JSON.stringify(listed)).not.toContain(key.apiKey.split('.')[1]);

    const again = await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys/${key.keyId}/revoke`, {
      reason: 'again',
    });
    expect([again.status, again.body.code]).toEqual([409, 'api_key_revoked']);
    expect((await auditOf(ch.id)).filter((a) => a.action === 'channel.api_key_revoked')).toEqual([
      {
        action: 'channel.api_key_revoked',
        actor_sub: 'admin-1',
        details: { keyId: key.keyId, revokedAt: revoked.body.revokedAt },
      },
    ]);
  });

  test('a key is found only under its own channel; bad input is refused and changes nothing', async () => {
    const ch = await aChannel(stack.db);
    const other = await aChannel(stack.db);
    const key = await issue(ch.id);
    const elsewhere = await stack.api(actors.admin(), 'POST', `/v1/channels/${other.id}/api-keys/${key.keyId}/revoke`, {
      reason: 'x',
    });
    expect([elsewhere.status, elsewhere.body.code]).toEqual([404, 'api_key_not_found']);
    const noChannel = await stack.api(actors.admin(), 'GET', '/v1/channels/no-such-channel/api-keys');
    expect([noChannel.status, noChannel.body.code]).toEqual([404, 'channel_not_found']);
    const tooFar = new Date(Date.now() + 73 * 3_600_000).toISOString();
    for (const [path, body] of [
      [`/v1/channels/${ch.id}/api-keys/${key.keyId}/revoke`, { reason: 'later', at: tooFar }],
      [`/v1/channels/${ch.id}/api-keys/${key.keyId}/revoke`, {}],
      [`/v1/channels/${ch.id}/api-keys/not-a-key-id/revoke`, { reason: 'x' }],
      [`/v1/channels/${ch.id}/api-keys/${key.keyId}/rotate`, { reason: 'x', overlapHours: 100 }],
    ] as const) {
      const res = await stack.api(actors.admin(), 'POST', path, body);
      expect([path, res.status, res.body.code]).toEqual([path, 422, 'validation_failed']);
    }
    expect((await keysOf(ch.id)).map((k) => k.state)).toEqual(['active']);
    expect((await submit(key.apiKey, ch.id)).status).toBe(201);
  });

  test('rotation: the new key works at once, the old one until its overlap ends, and a revocation can be brought forward but not put off', async () => {
    const ch = await aChannel(stack.db);
    const old = await issue(ch.id, 'partner prod');
    const rotated = await stack.api(
      actors.admin('admin-2'),
      'POST',
      `/v1/channels/${ch.id}/api-keys/${old.keyId}/rotate`,
      { reason: 'yearly rotation', overlapHours: 2 },
    );
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({
      channelId: ch.id,
      label: 'partner prod',
      replaced: { keyId: old.keyId, state: 'expiring', replacedBy: rotated.body.keyId, reason: 'yearly rotation' },
    });
    const overlapMs = new Date(rotated.body.replaced.revokedAt).getTime() - Date.now();
    expect(overlapMs).toBeGreaterThan(110 * 60_000);
    expect(overlapMs).toBeLessThanOrEqual(2 * 3_600_000);

    expect((await submit(rotated.body.apiKey, ch.id)).status).toBe(201);
    expect((await submit(old.apiKey, ch.id)).status).toBe(201); // still in its overlap
    const twice = await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys/${old.keyId}/rotate`, {
      reason: 'again',
    });
    expect([twice.status, twice.body.code]).toEqual([409, 'api_key_revoked']);

    const putOff = await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys/${old.keyId}/revoke`, {
      reason: 'keep it longer',
      at: new Date(Date.now() + 48 * 3_600_000).toISOString(),
    });
    expect([putOff.status, putOff.body.code]).toEqual([409, 'revocation_would_extend']);
    expect((await keysOf(ch.id)).find((k) => k.keyId === old.keyId)?.revokedAt).toBe(rotated.body.replaced.revokedAt);

    const now = await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys/${old.keyId}/revoke`, {
      reason: 'partner switched early',
    });
    expect(now.body).toMatchObject({ state: 'revoked', replacedBy: rotated.body.keyId });
    expect((await submit(old.apiKey, ch.id)).status).toBe(401);
    expect((await submit(rotated.body.apiKey, ch.id)).status).toBe(201);
    expect((await auditOf(ch.id)).map((a) => a.action)).toEqual([
      'channel.api_key_issued',
      'channel.api_key_issued',
      'channel.api_key_rotated',
      'channel.api_key_revoked',
    ]);
  });

  test('a retry sent with the key that replaced a rotated one is still a repeat: one case, one complaint', async () => {
    const ch = await aChannel(stack.db);
    const old = await issue(ch.id);
    const rotated = (
      await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys/${old.keyId}/rotate`, {
        reason: 'rotation',
        overlapHours: 24,
      })
    ).body;
    const lead = aLead({ channelId: ch.id });
    const first = await stack.api(null, 'POST', '/v1/leads', lead, {
      'x-api-key': old.apiKey,
      'idempotency-key': 'switch-1',
    });
    const retry = await stack.api(null, 'POST', '/v1/leads', lead, {
      'x-api-key': rotated.apiKey,
      'idempotency-key': 'switch-1',
    });
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect(retry.body).toMatchObject({ caseId: first.body.caseId, replayed: true });

    const complaint = { caseId: first.body.caseId, category: 'service_attitude', description: '服务态度差' };
    const filed = await stack.api(null, 'POST', '/v1/complaints', complaint, {
      'x-api-key': old.apiKey,
      'idempotency-key': 'switch-2',
    });
    const refiled = await stack.api(null, 'POST', '/v1/complaints', complaint, {
      'x-api-key': rotated.apiKey,
      'idempotency-key': 'switch-2',
    });
    expect([filed.status, refiled.status]).toEqual([201, 201]);
    expect(refiled.headers.get('idempotent-replayed')).toBe('true');
    expect(refiled.body.complaintId).toBe(filed.body.complaintId);
    expect(
      (await stack.db.query('SELECT count(*)::int AS n FROM complaints WHERE case_id = $1', [first.body.caseId]))[0].n,
    ).toBe(1);
  });

  test('an old key whose overlap has run out is refused without anyone revoking it', async () => {
    const ch = await aChannel(stack.db);
    const old = await issue(ch.id);
    const rotated = (
      await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys/${old.keyId}/rotate`, {
        reason: 'rotation',
        overlapHours: 0,
      })
    ).body;
    expect(rotated.replaced.state).toBe('revoked');
    expect((await submit(old.apiKey, ch.id)).status).toBe(401);
    expect((await submit(rotated.apiKey, ch.id)).status).toBe(201);
  });
});

describe('audit trail', () => {
  test('compliance reads the trail; altering a row is detected at its link', async () => {
    const ch = await aChannel(stack.db);
    const { body } = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: null }),
    );
    // A few more rows after it, so that a walk in pages of 3 crosses pages on either side of it.
    for (let i = 0; i < 4; i++)
      await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }));
    const trail = await stack.api(actors.compliance(), 'GET', `/v1/audit?targetId=${body.caseId}`);
    expect(trail.body.items.map((e: any) => e.action)).toContain('lead.intake');
    expect((await stack.api(actors.compliance(), 'GET', '/v1/audit/verify')).body).toMatchObject({ intact: true });

    const id = trail.body.items.find((e: any) => e.action === 'lead.intake').id;
    // Only the owner role (a DBA) can switch a trigger off; the service's role cannot.
    const owner = await openOwnerDatabase();
    await owner.transaction(async (m) => {
      await m.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update');
      await m.query(`UPDATE audit_events SET details = details || '{"channelId":"forged"}' WHERE id = $1`, [id]);
      await m.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update');
    });
    try {
      expect((await stack.api(actors.compliance(), 'GET', '/v1/audit/verify')).body).toMatchObject({
        intact: false,
        code: 'row_altered',
        firstBrokenId: id,
        reason: 'row content does not match its hash',
      });
      // Read a small page at a time, the walk carries the chain across pages and stops at the same row.
      expect((await stack.db.query('SELECT count(*)::int AS n FROM audit_events'))[0].n).toBeGreaterThan(3);
      expect(await verifyAuditChain(stack.db.manager, { pageSize: 3 })).toEqual({
        code: 'row_altered',
        brokenAtId: String(id),
        reason: 'row content does not match its hash',
      });
    } finally {
      // Put the row back so other tests see an intact chain.
      await owner.transaction(async (m) => {
        await m.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update');
        await m.query(
          `UPDATE audit_events SET details = jsonb_set(details, '{channelId}', to_jsonb($2::text)) WHERE id = $1`,
          [id, ch.id],
        );
        await m.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update');
      });
    }
    expect(await verifyAuditChain(stack.db.manager, { pageSize: 3 })).toBeNull();
    await expect(owner.query('DELETE FROM audit_events WHERE id = $1', [id])).rejects.toThrow('append-only');
    await expect(stack.db.query('DELETE FROM audit_events WHERE id = $1', [id])).rejects.toThrow('permission denied');
    await owner.destroy();
  });
});

describe('operations', () => {
  test('/metrics exposes HTTP latency, intakes and refusals by code', async () => {
    await stack.api(null, 'GET', '/v1/leads');
    const res = await fetch(`${stack.baseUrl}/metrics`);
    const text = await res.text();
    expect(text).toContain('http_request_duration_seconds_bucket');
    expect(text).toMatch(/api_refusals_total\{status="401",code="unauthenticated"\} \d+/);
    expect(text).toContain('lead_intakes_total');
  });

  test('a credential over its rate limit gets 429', async () => {
    const limited = await startStack({ RATE_LIMIT_PER_MINUTE: '3' }, { worker: false });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await limited.api(actors.manager(), 'GET', '/v1/products')).status);
      expect(codes).toEqual([200, 200, 200, 429, 429]);
      expect((await limited.api(actors.admin(), 'GET', '/v1/products')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  test('security headers are set', async () => {
    const res = await fetch(`${stack.baseUrl}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  test('an oversized body is refused with 413', async () => {
    const res = await stack.api(actors.manager(), 'POST', '/v1/marketing-texts/check', { text: 'x'.repeat(70_000) });
    expect([res.status, res.body.code]).toEqual([413, 'body_too_large']);
  });
});
