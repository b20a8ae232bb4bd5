import type { DataSource } from 'typeorm';
import type { Options } from 'express-rate-limit';
import { PostgresRateLimitStore } from '../../src/platform/http/rate-limit-store';

/** The counters table in memory, with the upsert's meaning: add `hits` within the window, else start again. */
function fakeDatabase() {
  const rows = new Map<string, { hits: number; resetsAt: number }>();
  let writes = 0;
  const db = {
    query: async (sql: string, params: unknown[]) => {
      if (!sql.startsWith('INSERT INTO rate_limit_counters')) return [];
      writes++;
      const [key, windowMs, hits] = params as [string, number, number];
      const now = Date.now();
      const row = rows.get(key);
      const next = row && row.resetsAt > now ? { ...row, hits: row.hits + hits } : { hits, resetsAt: now + windowMs };
      rows.set(key, next);
      return [{ hits: next.hits, resets_at: new Date(next.resetsAt) }];
    },
  } as unknown as DataSource;
  return { db, writes: () => writes };
}

const storeOn = (db: DataSource, limit: number, batchMs: number) => {
  const store = new PostgresRateLimitStore(db, 'test', 'credential', batchMs);
  store.init({ windowMs: 60_000, limit } as Options);
  return store;
};

test('far below the limit, a process writes a credential’s hits once per batch interval, not once per request', async () => {
  const { db, writes } = fakeDatabase();
  const store = storeOn(db, 600, 1_000);
  const totals: number[] = [];
  for (let i = 0; i < 100; i++) totals.push((await store.increment('broker-1')).totalHits);
  expect(totals).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  expect(writes()).toBe(1);
});

test('from half the limit on every hit is written, so two processes together admit exactly the limit', async () => {
  const { db } = fakeDatabase();
  const [a, b] = [storeOn(db, 20, 1_000), storeOn(db, 20, 1_000)];
  const admitted: boolean[] = [];
  for (let i = 0; i < 24; i++) admitted.push((await (i % 2 === 0 ? a : b).increment('broker-1')).totalHits <= 20);
  expect(admitted).toEqual([...Array(20).fill(true), ...Array(4).fill(false)]);
});

test('without batching every hit is written', async () => {
  const { db, writes } = fakeDatabase();
  const store = storeOn(db, 600, 0);
  for (let i = 0; i < 5; i++) await store.increment('broker-1');
  expect(writes()).toBe(5);
});
