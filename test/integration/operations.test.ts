import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as erasure from '../../src/modules/lead/activities/erasure';
import { createMaintenanceActivities, LENDER_APPLICATION_GRACE_DAYS } from '../../src/modules/maintenance/activities';
import { MAX_ATTEMPTS, startNotificationRelay } from '../../src/modules/lead/activities/notification-relay';
import { createLogger } from '../../src/platform/logger';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import { LeadStageKey } from '../../src/platform/temporal/search-attributes';
import { consentDeadlineFrom, intakeUnconfirmedSignal } from '../../src/modules/lead/messages';
import { caseInput } from '../workflows/harness';
import { ensureSchedule, ensureSchedules, SCHEDULES } from '../../src/modules/maintenance/schedules';
import { casesWithPersonalData } from '../support/erasable-cases';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { SWEEP_LOCK_WAIT_MS, takeSweepLock } from '../support/sweep-lock';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

const row = async (caseId: string) => (await stack.db.query('SELECT * FROM lead_cases WHERE id = $1', [caseId]))[0];
async function caseInFollowUp(channelId: string) {
  const { body } = await stack.api(actors.channel(channelId), 'POST', '/v1/leads', aLead({ channelId }));
  return eventually(async () => {
    const r = await row(body.caseId);
    return r.stage === 'follow_up' ? r : null;
  }, 'follow_up');
}

describe('schedules', () => {
  test('are created idempotently and start the maintenance workflows on the task queue', async () => {
    await ensureSchedules(stack.client, stack.cfg.TEMPORAL_TASK_QUEUE);
    expect((await ensureSchedules(stack.client, stack.cfg.TEMPORAL_TASK_QUEUE)).created).toEqual([]);
    for (const s of SCHEDULES) {
      const d = await stack.client.schedule.getHandle(s.scheduleId).describe();
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: s.workflowType });
    }
  });
});

describe('a schedule whose definition changed', () => {
  test('is updated in place: a worker on a new task queue takes it over, and a run may not outlast its interval', async () => {
    const def = {
      scheduleId: `test-digest-${randomUUID()}`,
      workflowType: 'followUpDigest',
      every: '1 hour',
      note: 'a test schedule',
    } as const;
    try {
      expect(await ensureSchedule(stack.client, def, 'old-queue')).toBe('created');
      expect(await ensureSchedule(stack.client, def, 'old-queue')).toBe('unchanged');
      await stack.client.schedule.getHandle(def.scheduleId).pause('paused by an operator');

      expect(await ensureSchedule(stack.client, def, stack.cfg.TEMPORAL_TASK_QUEUE)).toBe('updated');
      const d = await stack.client.schedule.getHandle(def.scheduleId).describe();
      expect(d.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'followUpDigest',
        taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
        workflowExecutionTimeout: 55 * 60_000,
      });
      expect(d.state.paused).toBe(true); // an operator's pause outlives the update

      expect(await ensureSchedule(stack.client, { ...def, every: '1 day' }, stack.cfg.TEMPORAL_TASK_QUEUE)).toBe(
        'updated',
      );
      expect(
        (await stack.client.schedule.getHandle(def.scheduleId).describe()).spec.intervals?.map((i) => i.every),
      ).toEqual([86_400_000]);
    } finally {
      await stack.client.schedule
        .getHandle(def.scheduleId)
        .delete()
        .catch(() => undefined);
    }
  });
});

describe('maintenance activities on Postgres', () => {
  const acts = () => createMaintenanceActivities({ db: stack.db, policy: stack.cfg.policy });
  let releaseSweeps: () => Promise<void>;
  beforeAll(async () => {
    releaseSweeps = await takeSweepLock(stack.db);
  }, SWEEP_LOCK_WAIT_MS);
  afterAll(async () => releaseSweeps?.());

  test('the retention sweep erases a case past its retention that still holds personal data, once', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const c = await caseInFollowUp(ch.id);
    // Simulate a case whose own timer never fired: its workflow is gone, its retention has passed.
    await stack.client.workflow.getHandle(leadWorkflowId(c.id)).terminate('simulated loss of the timer');
    await stack.db.query(
      `UPDATE lead_cases SET stage = 'closed', is_open = false, retention_due_at = now() - interval '1 day' WHERE id = $1`,
      [c.id],
    );

    const first = await acts().retentionSweep({ at: new Date().toISOString() });
    expect(first.caseIds).toContain(c.id);
    expect(await stack.db.query('SELECT 1 FROM identities WHERE case_id = $1', [c.id])).toEqual([]);
    const [evidence] = await stack.db.query('SELECT reason FROM erasure_records WHERE case_id = $1', [c.id]);
    expect(evidence.reason).toBe('retention_sweep');
    const second = await acts().retentionSweep({ at: new Date().toISOString() });
    expect(second.caseIds).not.toContain(c.id);
  });

  test('a case under legal hold is never swept', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const c = await caseInFollowUp(ch.id);
    await stack.client.workflow.getHandle(leadWorkflowId(c.id)).terminate('test');
    await stack.db.query(
      `UPDATE lead_cases SET stage = 'closed', is_open = false, legal_hold = true, retention_due_at = now() - interval '1 day' WHERE id = $1`,
      [c.id],
    );
    const swept = await acts().retentionSweep({ at: new Date().toISOString() });
    expect(swept.caseIds).not.toContain(c.id);
    expect(await stack.db.query('SELECT 1 FROM identities WHERE case_id = $1', [c.id])).toHaveLength(1);
  });

  // A sweep erases every due case in the database: files that sweep take the sweep lock (see beforeAll).
  test('the retention sweep erases every due case, more than one transaction of them, and skips legal holds and cases not yet due', async () => {
    const dayAgo = new Date(Date.now() - 86_400_000);
    const due = await casesWithPersonalData(stack.db, 230, { retentionDueAt: dayAgo });
    const held = await casesWithPersonalData(stack.db, 3, { retentionDueAt: dayAgo, legalHold: true });
    const notDue = await casesWithPersonalData(stack.db, 2, { retentionDueAt: new Date(Date.now() + 86_400_000) });
    const keyScope = `test:sweep:${Date.now()}`;
    await stack.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at)
       VALUES ($1, 'old', 'h', 200, '{}', now() - interval '8 days'), ($1, 'recent', 'h', 200, '{}', now() - interval '6 days')`,
      [keyScope],
    );
    const eraseCases = jest.spyOn(erasure, 'eraseCases');
    try {
      const swept = await acts().retentionSweep({ at: new Date().toISOString() });
      // Stored Idempotency-Key answers older than a week go with the same sweep.
      expect(swept.idempotencyKeysPurged).toBeGreaterThanOrEqual(1);
      expect(
        (await stack.db.query('SELECT key FROM idempotency_keys WHERE scope = $1', [keyScope])).map(
          (r: { key: string }) => r.key,
        ),
      ).toEqual(['recent']);
      expect(swept.caseIds).toEqual(expect.arrayContaining(due));
      for (const id of [...held, ...notDue]) expect(swept.caseIds).not.toContain(id);
      expect(swept.erased).toBe(swept.caseIds.length);
      // Chunks of at most 100 cases, one transaction each.
      const chunks = eraseCases.mock.calls.map(([, inputs]) => inputs.map((i) => i.caseId));
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(100);
      expect(chunks.flat()).toEqual(expect.arrayContaining(due));
    } finally {
      eraseCases.mockRestore();
    }
    const count = async (sql: string, ids: string[]) => (await stack.db.query(sql, [ids]))[0].n as number;
    expect(
      await count(
        `SELECT count(*)::int AS n FROM erasure_records WHERE reason = 'retention_sweep' AND case_id = ANY($1::uuid[])`,
        due,
      ),
    ).toBe(due.length);
    expect(await count('SELECT count(*)::int AS n FROM identities WHERE case_id = ANY($1::uuid[])', due)).toBe(0);
    expect(
      await count('SELECT count(*)::int AS n FROM identities WHERE case_id = ANY($1::uuid[])', [...held, ...notDue]),
    ).toBe(held.length + notDue.length);
    expect(
      await count('SELECT count(*)::int AS n FROM erasure_records WHERE case_id = ANY($1::uuid[])', [
        ...held,
        ...notDue,
      ]),
    ).toBe(0);

    const again = await acts().retentionSweep({ at: new Date().toISOString() });
    expect(again.caseIds.filter((id) => due.includes(id))).toEqual([]);
  });

  test("the retention sweep deletes lender applications older than the multi-lender rule's window and a grace, and keeps the rest", async () => {
    const windowDays = stack.cfg.policy.fraud.multiLenderWindowDays + LENDER_APPLICATION_GRACE_DAYS;
    const person = `test-person-${Date.now()}`;
    const at = new Date('2026-11-23T03:00:00Z');
    const daysBefore = (d: number) => new Date(at.getTime() - d * 86_400_000);
    await stack.db.query(
      `INSERT INTO lender_applications (id_index, lender_id, applied_at) VALUES ($1, 'old', $2), ($1, 'edge', $3), ($1, 'inside', $4)`,
      [person, daysBefore(windowDays + 30), daysBefore(windowDays), daysBefore(windowDays - 1)],
    );
    const swept = await acts().retentionSweep({ at: at.toISOString() });
    expect(swept.lenderApplicationsPurged).toBeGreaterThanOrEqual(2);
    const kept = await stack.db.query(
      'SELECT lender_id FROM lender_applications WHERE id_index = $1 ORDER BY lender_id',
      [person],
    );
    // Kept for the rule's window and a grace; exactly that old is gone.
    expect(kept).toEqual([{ lender_id: 'inside' }]);
  });

  test('the follow-up digest counts breached deadlines by broker for managers', async () => {
    const ch = await aChannel(stack.db);
    const broker = await aBroker(stack.db, ch.team);
    const c = await caseInFollowUp(ch.id);
    await stack.db.query(`UPDATE lead_cases SET sla_due_at = now() - interval '2 hours' WHERE id = $1`, [c.id]);
    const eventId = `digest:${randomUUID()}`;
    const { breached } = await acts().followUpDigest({ at: new Date().toISOString(), eventId });
    expect(breached).toBeGreaterThanOrEqual(1);
    const [n] = await stack.db.query('SELECT recipient_role, payload FROM notifications WHERE event_id = $1', [
      eventId,
    ]);
    expect(n.recipient_role).toBe('manager');
    expect(n.payload.byBroker).toEqual(
      expect.arrayContaining([expect.objectContaining({ brokerId: broker, breached: 1 })]),
    );
  });

  test('the deadline audit reports an open case that waits on a person with no deadline running', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const c = await caseInFollowUp(ch.id);
    await stack.db.query('UPDATE lead_cases SET sla_due_at = NULL WHERE id = $1', [c.id]);
    const eventId = `audit:${randomUUID()}`;
    await acts().casesWithoutDeadline({ at: new Date().toISOString(), eventId });
    const [n] = await stack.db.query('SELECT payload FROM notifications WHERE event_id = $1', [eventId]);
    expect(n.payload.casesWithoutDeadline).toEqual(expect.arrayContaining([{ caseId: c.id, stage: 'follow_up' }]));
  });
});

describe('broker offboarding', () => {
  test('every open case of a leaving broker goes to a colleague, and the broker takes no new cases', async () => {
    const ch = await aChannel(stack.db);
    const leaving = await aBroker(stack.db, ch.team);
    const c1 = await caseInFollowUp(ch.id);
    const c2 = await caseInFollowUp(ch.id);
    expect([c1.broker_id, c2.broker_id]).toEqual([leaving, leaving]);
    const staying = await aBroker(stack.db, ch.team);

    const res = await stack.api(actors.manager(), 'POST', `/v1/brokers/${leaving}/offboarding`, {});
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ brokerId: leaving, openCases: 2 });
    await stack.client.workflow.getHandle(res.body.workflowId).result();
    await eventually(
      async () => (await row(c1.id)).broker_id === staying && (await row(c2.id)).broker_id === staying,
      'both cases handed over',
    );
    const [b] = await stack.db.query('SELECT active FROM brokers WHERE id = $1', [leaving]);
    expect(b.active).toBe(false);

    const c3 = await caseInFollowUp(ch.id);
    expect(c3.broker_id).toBe(staying);
    const again = await stack.api(actors.manager(), 'POST', `/v1/brokers/${leaving}/offboarding`, {});
    expect(again.body.openCases).toBe(0);
    const assigned = await stack.db.query(
      `SELECT count(*)::int AS n FROM notifications WHERE case_id = ANY($1) AND kind = 'case_assigned' AND recipient_id = $2`,
      [[c1.id, c2.id], staying],
    );
    expect(assigned[0].n).toBe(2);
  });

  test('only a manager may offboard a broker', async () => {
    const res = await stack.api(actors.broker(), 'POST', '/v1/brokers/b-east-1/offboarding', {});
    expect(res.status).toBe(403);
  });
});

describe('orphaned intake sweep', () => {
  test('a lead workflow whose case row never came is signalled to look for it; a case with its row is left alone', async () => {
    const ch = await aChannel(stack.db);
    const real = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: null }),
    );
    expect(real.status).toBe(201);
    // What a rolled-back intake leaves when its terminate also failed: the workflow, started as the
    // intake starts it, and no rows.
    const input = caseInput({ facts: { ...caseInput().facts, channelId: ch.id } });
    const orphan = await stack.client.workflow.start('leadCase', {
      workflowId: leadWorkflowId(input.caseId),
      taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
      args: [{ ...input, projectedAtIntake: { consentDeadline: consentDeadlineFrom(Date.now(), input.policy) } }],
      typedSearchAttributes: [{ key: LeadStageKey, value: 'awaiting_consent' }],
    });
    try {
      const sweep = () =>
        stack.client.workflow.execute('orphanedIntakeSweep', {
          workflowId: `orphaned-intake-sweep-${randomUUID()}`,
          taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
          args: [{ minAgeMinutes: 0, windowHours: 1 }],
        }) as Promise<{ checked: number; caseIds: string[] }>;
      // Visibility is eventually consistent: sweep until both workflows are listed.
      const result = await eventually(async () => {
        const r = await sweep();
        return r.checked >= 2 && r.caseIds.includes(input.caseId) ? r : null;
      }, 'the sweep to find the orphan');
      expect(result.caseIds).not.toContain(real.body.caseId);

      const signals = async (workflowId: string) =>
        ((await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [])
          .map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
          .filter(Boolean);
      expect(await signals(orphan.workflowId)).toContain(intakeUnconfirmedSignal.name);
      expect(await signals(real.body.workflowId)).toEqual([]);
      expect((await row(real.body.caseId)).stage).toBe('awaiting_consent');
    } finally {
      await orphan.terminate('test finished').catch(() => undefined);
    }
  });
});

describe('notification delivery', () => {
  test('outbox rows are posted to the webhook with an HMAC signature, and retried after a failure', async () => {
    const received: { headers: IncomingMessage['headers']; body: string }[] = [];
    let failuresLeft = 1;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        if (body.includes('relay-test') && failuresLeft-- > 0) res.writeHead(500).end();
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const eventId = `relay-test:${randomUUID()}`;
    await stack.db.query(
      `INSERT INTO notifications (event_id, kind, recipient_role, payload) VALUES ($1, 'digest', 'manager', '{"breached": 3}')`,
      [eventId],
    );
    const stop = startNotificationRelay({
      db: stack.db,
      url,
      secret: 'whsec-test',
      logger: createLogger('relay', 'silent'),
      intervalMs: 100,
    });
    try {
      const [sent] = await eventually(
        async () => {
          const r = await stack.db.query(
            `SELECT status, attempts FROM notifications WHERE event_id = $1 AND status = 'sent'`,
            [eventId],
          );
          return r.length ? r : null;
        },
        'delivery',
        15_000,
      );
      expect(sent.attempts).toBe(2);
      const mine = received.filter((r) => r.body.includes(eventId));
      expect(mine).toHaveLength(2);
      const { headers, body } = mine[1];
      const expected = createHmac('sha256', 'whsec-test').update(`${headers['x-timestamp']}.${body}`).digest('hex');
      expect(headers['x-signature']).toBe(`sha256=${expected}`);
      expect(JSON.parse(body)).toMatchObject({ id: eventId, kind: 'digest', payload: { breached: 3 } });
    } finally {
      await stop();
      server.close();
    }
  });

  test('while the receiver is down, each try waits its back-off from the last, so an old row is not given up in a burst; it is delivered once the receiver is back', async () => {
    const old = `relay-outage:${randomUUID()}`;
    const lastTry = `relay-last-try:${randomUUID()}`;
    // Ten minutes old: the relay used to count its back-off from creation, so such a row was always due.
    await stack.db.query(
      `INSERT INTO notifications (event_id, kind, recipient_role, payload, created_at) VALUES ($1, 'digest', 'manager', '{}', now() - interval '10 minutes')`,
      [old],
    );
    await stack.db.query(
      `INSERT INTO notifications (event_id, kind, recipient_role, payload, attempts) VALUES ($1, 'digest', 'manager', '{}', $2)`,
      [lastTry, MAX_ATTEMPTS - 1],
    );
    const state = async (eventId: string) =>
      (
        await stack.db.query(
          `SELECT status, attempts, next_attempt_at > now() AS waiting FROM notifications WHERE event_id = $1`,
          [eventId],
        )
      )[0] as { status: string; attempts: number; waiting: boolean };

    const down = startNotificationRelay({
      db: stack.db,
      url: 'http://127.0.0.1:1/hook',
      secret: 'whsec-test',
      logger: createLogger('relay', 'silent'),
      intervalMs: 50,
    });
    try {
      await eventually(
        async () => (await state(lastTry)).status === 'failed',
        'the row on its last try to be given up',
      );
      await new Promise((r) => setTimeout(r, 2_000));
      const during = await state(old);
      expect(during.status).toBe('pending');
      expect(during.attempts).toBeGreaterThanOrEqual(1);
      expect(during.attempts).toBeLessThanOrEqual(3); // tried at 0 s, 1 s and 3 s at most, not 8 times at once
      expect(during.waiting).toBe(true);
    } finally {
      await down();
    }

    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => (received.push(body), res.writeHead(204).end()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await stack.db.query(`UPDATE notifications SET next_attempt_at = now() WHERE event_id = $1`, [old]); // its back-off has passed
    const up = startNotificationRelay({
      db: stack.db,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
      secret: 'whsec-test',
      logger: createLogger('relay', 'silent'),
      intervalMs: 50,
    });
    try {
      await eventually(async () => (await state(old)).status === 'sent', 'delivery once the receiver is back');
      expect(received.filter((b) => b.includes(old))).toHaveLength(1);
      expect(received.some((b) => b.includes(lastTry))).toBe(false);
      expect((await state(lastTry)).status).toBe('failed');
    } finally {
      await up();
      server.close();
    }
  });
});
