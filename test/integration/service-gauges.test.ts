import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { appendAudit } from '../../src/platform/audit/log';
import { aChannel } from '../support/factories';
import { insertCaseRows } from '../support/case-rows';
import { openOwnerDatabase, serveVariant, startStack, type TestStack } from '../support/stack';

let stack: TestStack;
let owner: DataSource;
beforeAll(async () => {
  stack = await startStack({}, { worker: false });
  owner = await openOwnerDatabase();
});
afterAll(async () => {
  await owner?.destroy();
  await stack?.stop();
});

const GAUGES = [
  'lce_sla_overdue_cases',
  'lce_erasure_backlog_cases',
  'lce_outbox_oldest_undelivered_seconds',
  'lce_audit_checkpoint_age_seconds',
] as const;

/** The lce_ gauges of one scrape of `baseUrl`/metrics; fails on any gauge with labels. */
async function scrape(baseUrl: string): Promise<Record<(typeof GAUGES)[number], number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const lines = text.split('\n').filter((l) => l.startsWith('lce_') && !l.startsWith('lce_service_gauge_read'));
  for (const l of lines) expect(l).toMatch(/^lce_[a-z_]+ [0-9.e+-]+$/); // no labels: nothing about a case
  const values = Object.fromEntries(lines.map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]));
  for (const g of GAUGES) expect(typeof values[g]).toBe('number');
  return values as Record<(typeof GAUGES)[number], number>;
}

describe('the service gauges on /metrics', () => {
  test('an overdue open case, a closed case past retention and an old undelivered notification show in the gauges', async () => {
    const channel = await aChannel(stack.db);
    const [overdue, onTime] = await insertCaseRows(stack.db, 2, { channelId: channel.id });
    const [pastRetention, held] = await insertCaseRows(stack.db, 2, { channelId: channel.id, outcome: 'approved' });
    await stack.db.query(`UPDATE lead_cases SET sla_due_at = now() - interval '1 hour' WHERE id = $1`, [overdue]);
    await stack.db.query(`UPDATE lead_cases SET sla_due_at = now() + interval '1 hour' WHERE id = $1`, [onTime]);
    await stack.db.query(
      `UPDATE lead_cases SET closed_at = now() - interval '400 days', retention_due_at = now() - interval '1 day',
              legal_hold = (id = $2) WHERE id = ANY($1::uuid[])`,
      [[pastRetention, held], held],
    );
    const eventId = `gauge-test-${randomUUID()}`;
    // Pending for two hours, its next attempt a day away: no relay of another test takes it meanwhile.
    await owner.query(
      `INSERT INTO notifications (event_id, kind, recipient_role, payload, status, created_at, next_attempt_at)
       VALUES ($1, 'gauge_test', 'manager', '{}'::jsonb, 'pending', now() - interval '2 hours', now() + interval '1 day')`,
      [eventId],
    );
    await appendAudit(stack.db.manager, {
      actorSub: 'gauge-test',
      actorRole: 'system',
      action: 'test.gauges',
      targetType: 'test',
      targetId: null,
      details: {},
    });
    await new Promise((r) => setTimeout(r, 50));
    try {
      // A fresh app: its first scrape reads the database now.
      const app = await serveVariant(stack, {});
      try {
        const first = await scrape(app.url);
        expect(first.lce_sla_overdue_cases).toBeGreaterThanOrEqual(1);
        expect(first.lce_erasure_backlog_cases).toBeGreaterThanOrEqual(1);
        expect(first.lce_outbox_oldest_undelivered_seconds).toBeGreaterThanOrEqual(7200);
        // No checkpoint in this test's anchor: the age is how long the trail has gone without one.
        expect(first.lce_audit_checkpoint_age_seconds).toBeGreaterThan(0);

        // The numbers are those of the database, by the same conditions.
        const [direct] = await stack.db.query(
          `SELECT count(*) FILTER (WHERE id = $1 AND is_open AND sla_due_at < now())::int AS overdue,
                  count(*) FILTER (WHERE id = $2 AND NOT legal_hold AND retention_due_at < now())::int AS backlog,
                  count(*) FILTER (WHERE id = $3 AND legal_hold)::int AS held
             FROM lead_cases`,
          [overdue, pastRetention, held],
        );
        expect(direct).toEqual({ overdue: 1, backlog: 1, held: 1 });

        // Within the cache's 15 s a scrape answers the same reading, whatever changed meanwhile.
        await owner.query('DELETE FROM notifications WHERE event_id = $1', [eventId]);
        const again = await scrape(app.url);
        expect(again.lce_outbox_oldest_undelivered_seconds).toBe(first.lce_outbox_oldest_undelivered_seconds);
      } finally {
        await app.close();
      }
    } finally {
      await owner.query('DELETE FROM notifications WHERE event_id = $1', [eventId]);
    }
  });

  test('the case on legal hold and the erased one are not in the erasure backlog', async () => {
    const channel = await aChannel(stack.db);
    const [held, erased] = await insertCaseRows(stack.db, 2, { channelId: channel.id, outcome: 'approved' });
    await stack.db.query(
      `UPDATE lead_cases SET retention_due_at = now() - interval '1 day', legal_hold = (id = $2),
              erased_at = CASE WHEN id = $3 THEN now() END WHERE id = ANY($1::uuid[])`,
      [[held, erased], held, erased],
    );
    // The gauge's own query, for these two cases only: neither counts.
    const [{ n }] = await stack.db.query(
      `SELECT count(*)::int AS n FROM lead_cases
        WHERE erased_at IS NULL AND retention_due_at IS NOT NULL AND retention_due_at < now()
          AND NOT is_open AND NOT legal_hold AND id = ANY($1::uuid[])`,
      [[held, erased]],
    );
    expect(n).toBe(0);
  });
});
