import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { type DataSource } from 'typeorm';
import { signToken, type Actor } from '../../src/platform/http/auth';
import { PostgresRateLimitStore } from '../../src/platform/http/rate-limit-store';
import { deleteEndedCounters } from '../../src/platform/db/rate-limit-counters';
import { openDatabase } from '../../src/platform/db/data-source';
import { serveVariant, startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  // Below the credential limit, the refusal limit is reached first.
  stack = await startStack({ RATE_LIMIT_PER_MINUTE: '20', REFUSALS_PER_MINUTE: '10' }, { worker: false });
});
afterAll(async () => stack?.stop());

/** A request from a client address of its own (the loopback network is 127.0.0.0/8). */
function from(client: string, baseUrl: string, path: string, headers: Record<string, string>) {
  const url = new URL(path, baseUrl);
  return new Promise<{ status: number; code?: string }>((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, localAddress: client, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: text ? JSON.parse(text).code : undefined }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('two API instances over one database share the limits', () => {
  test('failed sign-ins from one client count together on both instances: 30 in all, then both answer 429', async () => {
    const other = await serveVariant(stack, {});
    try {
      const limit = stack.cfg.AUTH_FAILURES_PER_MINUTE;
      const answers = [];
      for (let i = 0; i < limit; i++) {
        const url = i % 2 === 0 ? stack.baseUrl : other.url;
        answers.push(await from('127.0.0.41', url, '/v1/leads', { authorization: `Bearer nope-${i}` }));
      }
      expect(answers.map((a) => a.status)).toEqual(Array(limit).fill(401));
      for (const url of [stack.baseUrl, other.url])
        expect(await from('127.0.0.41', url, '/v1/leads', { authorization: 'Bearer nope' })).toEqual({
          status: 429,
          code: 'too_many_failed_authentications',
        });
    } finally {
      await other.close();
    }
  });

  test('one credential alternating between the instances gets RATE_LIMIT_PER_MINUTE in all, not per instance', async () => {
    const other = await serveVariant(stack, {});
    try {
      const actor: Actor = { sub: `m-shared-${randomUUID()}`, role: 'manager' };
      const headers = { authorization: `Bearer ${await signToken(stack.cfg, actor)}` };
      const statuses: number[] = [];
      for (let i = 0; i < 24; i++) {
        const url = i % 2 === 0 ? stack.baseUrl : other.url;
        statuses.push((await from('127.0.0.42', url, '/v1/leads?limit=1', headers)).status);
      }
      expect(statuses).toEqual([...Array(20).fill(200), ...Array(4).fill(429)]);
      // Another credential is not held back by it.
      const someoneElse = await signToken(stack.cfg, { sub: `m-other-${randomUUID()}`, role: 'manager' });
      expect(
        (await from('127.0.0.42', other.url, '/v1/leads?limit=1', { authorization: `Bearer ${someoneElse}` })).status,
      ).toBe(200);
    } finally {
      await other.close();
    }
  });

  test('refusals (403) of one credential count together on both instances: REFUSALS_PER_MINUTE in all, then both answer 429', async () => {
    const other = await serveVariant(stack, {});
    try {
      const limit = stack.cfg.REFUSALS_PER_MINUTE;
      const actor: Actor = { sub: `m-refused-${randomUUID()}`, role: 'manager' };
      const headers = { authorization: `Bearer ${await signToken(stack.cfg, actor)}` };
      const answers = [];
      for (let i = 0; i < limit; i++) {
        const url = i % 2 === 0 ? stack.baseUrl : other.url;
        answers.push(await from('127.0.0.43', url, '/v1/audit', headers)); // compliance only
      }
      expect(answers.map((a) => a.status)).toEqual(Array(limit).fill(403));
      for (const url of [stack.baseUrl, other.url])
        expect(await from('127.0.0.43', url, '/v1/audit', headers)).toEqual({ status: 429, code: 'too_many_refusals' });
    } finally {
      await other.close();
    }
  });
});

describe('the Postgres store of the counters', () => {
  let second: DataSource;
  beforeAll(async () => {
    second = await openDatabase(stack.cfg.DATABASE_URL, { poolMax: 10, audit: stack.cfg });
  });
  afterAll(async () => second?.destroy());

  const storeOn = (db: DataSource, scope: string, windowMs: number) => {
    const store = new PostgresRateLimitStore(db, scope, 'test');
    store.init({ windowMs } as Parameters<PostgresRateLimitStore['init']>[0]);
    return store;
  };

  test('100 hits at once through two pools count each once: the answers are 1 to 100', async () => {
    const scope = randomUUID();
    const a = storeOn(stack.db, scope, 60_000);
    const b = storeOn(second, scope, 60_000);
    const hits = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).increment('client')));
    expect(hits.map((h) => h.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect((await a.get('client'))?.totalHits).toBe(100);
  });

  test('a window that ended starts again at 1, reads as none, and its row is swept; scopes and keys stay apart', async () => {
    const scope = randomUUID();
    const store = storeOn(stack.db, scope, 300);
    await store.increment('k');
    expect((await store.increment('k')).totalHits).toBe(2);
    expect((await storeOn(stack.db, randomUUID(), 300).increment('k')).totalHits).toBe(1);
    expect((await store.increment('another')).totalHits).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.get('k')).toBeUndefined();
    expect((await store.increment('k')).totalHits).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await deleteEndedCounters(stack.db)).toBeGreaterThanOrEqual(2);
    expect(await store.get('k')).toBeUndefined();
  });

  test('no client address or subject is stored, only a hash', async () => {
    const store = storeOn(stack.db, randomUUID(), 60_000);
    await store.increment('203.0.113.99');
    const [{ n }] = await stack.db.query(
      `SELECT count(*)::int AS n FROM rate_limit_counters WHERE key_hash LIKE '%203.0.113%'`,
    );
    expect(n).toBe(0);
  });
});
