import { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { registerServiceGauges } from '../../src/platform/http/service-gauges';

/** A stand-in database answering the gauges' one query with `row`, or failing when `row` is an Error. */
const dbAnswering = (rows: () => Record<string, unknown> | Error) =>
  ({
    query: async () => {
      const r = rows();
      if (r instanceof Error) throw r;
      return [r];
    },
  }) as unknown as DataSource;

const values = async (registry: Registry) => {
  const text = await registry.metrics();
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.startsWith('lce_'))
      .map((l) => [l.replace(/ [^ ]+$/, ''), Number(l.split(' ').at(-1))]),
  );
};

const row = { sla_overdue: 3, erasure_backlog: 2, outbox_oldest: 42.5, trail_age: 900 };

describe('the service gauges', () => {
  test('a checkpoint taken 60 s ago reads as 60 s; none yet reads as the trail age, an empty trail as 0', async () => {
    const registry = new Registry();
    let checkpoint: Date | null = new Date(Date.now() - 60_000);
    let answer: Record<string, unknown> = row;
    registerServiceGauges(registry, {
      db: dbAnswering(() => answer),
      newestCheckpointAt: async () => checkpoint,
      cacheMs: 0,
    });
    const first = await values(registry);
    expect(first.lce_sla_overdue_cases).toBe(3);
    expect(first.lce_erasure_backlog_cases).toBe(2);
    expect(first.lce_outbox_oldest_undelivered_seconds).toBe(42.5);
    expect(Math.round(first.lce_audit_checkpoint_age_seconds)).toBe(60);
    checkpoint = null;
    expect((await values(registry)).lce_audit_checkpoint_age_seconds).toBe(900);
    answer = { ...row, trail_age: null };
    expect((await values(registry)).lce_audit_checkpoint_age_seconds).toBe(0);
  });

  test('a failing source keeps the last values and is counted; one reading serves the scrapes within the cache time', async () => {
    const registry = new Registry();
    let reads = 0;
    let fail = false;
    registerServiceGauges(registry, {
      db: dbAnswering(() => (reads++, fail ? new Error('down') : row)),
      newestCheckpointAt: async () => {
        throw new Error('Temporal down');
      },
      cacheMs: 60_000,
    });
    await values(registry);
    await values(registry);
    expect(reads).toBe(1);

    const again = new Registry();
    reads = 0;
    registerServiceGauges(again, {
      db: dbAnswering(() => (reads++, fail ? new Error('down') : row)),
      newestCheckpointAt: async () => null,
      cacheMs: 0,
    });
    await values(again);
    fail = true;
    const after = await values(again);
    expect(after.lce_sla_overdue_cases).toBe(3);
    expect(after['lce_service_gauge_read_failures_total{source="postgres"}']).toBe(1);
    expect((await values(registry))['lce_service_gauge_read_failures_total{source="audit_anchor"}']).toBe(1);
  });
});
