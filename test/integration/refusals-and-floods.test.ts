import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RefusalAudit } from '../../src/platform/http/abuse-limits';
import { createApp, flushRefusalAudit } from '../../src/api/app';
import { signToken, type Actor } from '../../src/platform/http/auth';
import { createLogger } from '../../src/platform/logger';
import { actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({}, { worker: false });
});
afterAll(async () => stack?.stop());

interface Answer {
  status: number;
  retryAfter?: string;
  body: any;
}

/**
 * A request from a client address of its own: the loopback network is 127.0.0.0/8, so each test
 * client connects from another address to the API on 127.0.0.1, and the API tells them apart.
 */
function from(
  client: string,
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        localAddress: client,
        headers: {
          ...headers,
          ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: text ? JSON.parse(text) : null,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = async (actor: Actor) => ({ authorization: `Bearer ${await signToken(stack.cfg, actor)}` });
const auditRows = (sub: string) =>
  stack.db.query(`SELECT action, target_id, details FROM audit_events WHERE actor_sub = $1 ORDER BY id`, [sub]);

describe('failed authentication is limited per client', () => {
  test('100 bad bearer tokens from one client: 30 are answered 401, the rest 429 with Retry-After, also for a good token from it; another client is not affected', async () => {
    const limit = stack.cfg.AUTH_FAILURES_PER_MINUTE;
    expect(limit).toBe(30);
    const answers: Answer[] = [];
    for (let i = 0; i < 100; i++)
      answers.push(
        await from('127.0.0.11', stack.baseUrl, 'GET', '/v1/leads', { authorization: `Bearer not-a-token-${i}` }),
      );
    expect(answers.slice(0, limit).map((a) => [a.status, a.body.code])).toEqual(
      Array(limit).fill([401, 'invalid_token']),
    );
    expect(answers.slice(limit).map((a) => [a.status, a.body.code])).toEqual(
      Array(100 - limit).fill([429, 'too_many_failed_authentications']),
    );
    for (const a of answers.slice(limit)) expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
    for (const a of answers.slice(limit)) expect(Number(a.retryAfter)).toBeLessThanOrEqual(60);

    // The locked-out client is refused before its credential is looked at; everyone else carries on.
    expect((await from('127.0.0.11', stack.baseUrl, 'GET', '/v1/leads', await bearer(actors.manager()))).status).toBe(
      429,
    );
    expect((await from('127.0.0.12', stack.baseUrl, 'GET', '/v1/leads', await bearer(actors.manager()))).status).toBe(
      200,
    );
  });

  test('behind a trusted proxy (TRUST_PROXY) clients are told apart by X-Forwarded-For, so one noisy client does not lock out the others', async () => {
    const server: Server = createServer(
      createApp({
        cfg: { ...stack.cfg, TRUST_PROXY: 'loopback' },
        db: stack.db,
        temporal: stack.client,
        logger: createLogger('proxied', 'silent'),
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const proxy = '127.0.0.21'; // every request arrives from the load balancer's address
      const answers: Answer[] = [];
      for (let i = 0; i <= stack.cfg.AUTH_FAILURES_PER_MINUTE; i++) {
        answers.push(
          await from(proxy, url, 'GET', '/v1/leads', {
            'x-forwarded-for': '203.0.113.7',
            authorization: `Bearer nope-${i}`,
          }),
        );
      }
      expect(answers.at(-1)!.status).toBe(429);
      expect(
        (
          await from(proxy, url, 'GET', '/v1/leads', {
            'x-forwarded-for': '203.0.113.8',
            ...(await bearer(actors.manager())),
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await from(proxy, url, 'GET', '/v1/leads', {
            'x-forwarded-for': '203.0.113.7',
            ...(await bearer(actors.manager())),
          })
        ).status,
      ).toBe(429);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('unknown API keys, missing and malformed credentials count together; the limit holds on the codec routes too', async () => {
    const kinds: Record<string, string>[] = [
      { 'x-api-key': `lck_${'0'.repeat(16)}.${'a'.repeat(40)}` },
      { 'x-api-key': 'not-a-key' },
      { authorization: 'Basic dXNlcjpwYXNz' },
      {},
    ];
    const answers: Answer[] = [];
    for (let i = 0; i < 30; i++)
      answers.push(await from('127.0.0.13', stack.baseUrl, 'POST', '/v1/leads', kinds[i % kinds.length], '{}'));
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(401));
    expect(new Set(answers.map((a) => a.body.code))).toEqual(new Set(['invalid_api_key', 'unauthenticated']));
    const next = await from('127.0.0.13', stack.baseUrl, 'POST', '/v1/codec/decode', {}, '{"payloads":[]}');
    expect([next.status, next.body.code]).toEqual([429, 'too_many_failed_authentications']);
  });

  test('good traffic is never counted: 50 valid requests from one client in a minute all succeed', async () => {
    const headers = await bearer(actors.manager());
    const statuses: number[] = [];
    for (let i = 0; i < 50; i++)
      statuses.push((await from('127.0.0.14', stack.baseUrl, 'GET', '/v1/leads?limit=1', headers)).status);
    expect(statuses).toEqual(Array(50).fill(200));
  });
});

describe('refusals are audited without flooding the chain', () => {
  let server: Server;
  let baseUrl: string;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    // The API with its refusal counts in reach, to write the window's summary without waiting a minute.
    app = createApp({
      cfg: stack.cfg,
      db: stack.db,
      temporal: stack.client,
      logger: createLogger('refusals', 'silent'),
    });
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  test('200 forbidden requests by one actor: a row for the first at each route, then 429 past the limit, and one summary row that counts them all', async () => {
    const actor: Actor = { sub: `m-flood-${randomUUID()}`, role: 'manager' };
    const headers = await bearer(actor);
    const routes = ['/v1/audit/verify', '/v1/audit']; // compliance only
    const answers: Answer[] = [];
    for (let i = 0; i < 200; i++) answers.push(await from('127.0.0.21', baseUrl, 'GET', routes[i % 2], headers));

    const limit = stack.cfg.REFUSALS_PER_MINUTE;
    expect(limit).toBe(60);
    expect(answers.slice(0, limit).every((a) => a.status === 403)).toBe(true);
    expect(answers.slice(limit).map((a) => [a.status, a.body.code])).toEqual(
      Array(200 - limit).fill([429, 'too_many_refusals']),
    );
    expect(Number(answers[limit].retryAfter)).toBeGreaterThanOrEqual(1);
    // Another actor is not held back by this one's refusals.
    expect((await from('127.0.0.21', baseUrl, 'GET', '/v1/leads?limit=1', await bearer(actors.manager()))).status).toBe(
      200,
    );

    // At once: one row per route (with its code), not one per refusal.
    await eventually(async () => (await auditRows(actor.sub)).length === 2, 'the first refusal at each route audited');
    // (Written as they come, so in either order.)
    const first = await auditRows(actor.sub);
    expect(
      first.sort((a: { target_id: string }, b: { target_id: string }) => a.target_id.localeCompare(b.target_id)),
    ).toEqual([
      { action: 'access.refused', target_id: 'GET /v1/audit', details: { code: 'forbidden' } },
      { action: 'access.refused', target_id: 'GET /v1/audit/verify', details: { code: 'forbidden' } },
    ]);

    // When the window closes, one row more says how many there were.
    await flushRefusalAudit(app);
    const rows = await auditRows(actor.sub);
    expect(rows).toHaveLength(3);
    expect(rows[2]).toEqual({
      action: 'access.refused_repeatedly',
      target_id: actor.sub,
      details: {
        windowStart: expect.any(String),
        windowEnd: expect.any(String),
        refused: limit,
        auditedSeparately: 2,
        notAuditedSeparately: limit - 2,
        blockedAfterLimit: 200 - limit,
        routes: expect.arrayContaining([
          { route: 'GET /v1/audit/verify', code: 'forbidden', count: limit / 2 - 1 },
          { route: 'GET /v1/audit', code: 'forbidden', count: limit / 2 - 1 },
        ]),
      },
    });
    expect(rows[2].details.refused + rows[2].details.blockedAfterLimit).toBe(200);
  });

  test('a window closes by itself: its summary row is written when it ends', async () => {
    const audit = new RefusalAudit(stack.db, createLogger('refusals', 'silent'), {
      limit: 1000,
      immediate: 3,
      windowMs: 300,
    });
    const actor: Actor = { sub: `m-window-${randomUUID()}`, role: 'manager' };
    for (let i = 0; i < 50; i++) audit.record(actor, `GET /v1/route-${i % 5}`, 'forbidden');
    await eventually(
      async () =>
        (await auditRows(actor.sub)).some((r: { action: string }) => r.action === 'access.refused_repeatedly'),
      'the summary of the closed window',
    );
    const rows = await auditRows(actor.sub);
    expect(rows.map((r: { action: string }) => r.action)).toEqual([
      'access.refused',
      'access.refused',
      'access.refused',
      'access.refused_repeatedly',
    ]);
    expect(rows[3].details).toMatchObject({
      refused: 50,
      auditedSeparately: 3,
      notAuditedSeparately: 47,
      blockedAfterLimit: 0,
    });
    expect(rows[3].details.routes.reduce((n: number, r: { count: number }) => n + r.count, 0)).toBe(47);
  });
});

describe('the marketing-text check at the edge', () => {
  test('10,000 adversarial characters are checked; more is refused with 422, a body over 64 kB with 413', async () => {
    const headers = await bearer(actors.manager());
    const digits = await stack.api(actors.manager(), 'POST', '/v1/marketing-texts/check', { text: '1'.repeat(10_000) });
    expect(digits.status).toBe(200);
    expect(digits.body.violations.map((v: { code: string }) => v.code)).toEqual([
      'apr_not_disclosed',
      'risk_warning_missing',
    ]);
    const tooLong = await stack.api(actors.manager(), 'POST', '/v1/marketing-texts/check', {
      text: '1'.repeat(10_001),
    });
    expect([tooLong.status, tooLong.body.code]).toEqual([422, 'validation_failed']);
    const huge = await from(
      '127.0.0.31',
      stack.baseUrl,
      'POST',
      '/v1/marketing-texts/check',
      headers,
      JSON.stringify({ text: '1'.repeat(70_000) }),
    );
    expect([huge.status, huge.body.code]).toEqual([413, 'body_too_large']);
  });

  test('a text promoting a product is checked for 年化利率 and each lender named, and the answer reports both', async () => {
    const check = (text: string, lenderNames?: string[]) =>
      stack.api(actors.manager(), 'POST', '/v1/marketing-texts/check', { text, lenderNames });
    const good = await check('示例银行「快贷」，年化利率（单利）7.2%-18%。贷款有风险，借款需谨慎。', ['示例银行']);
    expect([good.status, good.body]).toEqual([
      200,
      {
        ok: true,
        violations: [],
        promotion: { annualisedRateShown: true, lendersNamed: ['示例银行'], lendersMissing: [] },
      },
    ]);
    const bad = await check('「快贷」APR 18%。贷款有风险，借款需谨慎。', ['示例银行']);
    expect(bad.body.violations.map((v: { code: string }) => v.code)).toEqual([
      'annualised_rate_not_labelled',
      'lender_not_named',
    ]);
    expect(bad.body.promotion).toEqual({ annualisedRateShown: false, lendersNamed: [], lendersMissing: ['示例银行'] });
    const empty = await check('x', []);
    expect([empty.status, empty.body.code]).toEqual([422, 'validation_failed']);
  });
});
