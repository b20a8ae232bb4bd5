import type { ChildProcess } from 'node:child_process';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { countHandedOver, waitUntilHandedOver } from '../support/fault-checks';
import { mapLimit, startFaultStack, type FaultStack } from '../support/fault-stack';
import { policyFile } from '../support/policy';
import { eventually } from '../support/stack';

// Tier-A first contact is due 2 minutes after assignment: the broker is reminded at 1 minute and
// the manager told at 2, timers that are still running when the server stops. On the clock (not
// working time) and with no quiet hours, so this holds, and the broker may log a contact, at any hour.
const policy = () =>
  policyFile({
    contact: { quietHoursStart: '00:00', quietHoursEnd: '00:00' },
    followUp: { firstContactMinutes: { A: 2 } },
    businessHours: { deadlines: [] },
  });

let faults: FaultStack;
let worker: ChildProcess;
beforeAll(async () => {
  faults = await startFaultStack({ temporalDbFile: true, env: { POLICY_FILE: policy() } });
  worker = await faults.startWorker();
}, 300_000);
afterAll(async () => faults?.stop(), 120_000);

const notified = async (kind: string, caseIds: string[], after: Date = new Date(0)): Promise<number> =>
  (
    await faults.app.db.query(
      `SELECT count(DISTINCT case_id)::int AS n FROM notifications WHERE kind = $1 AND case_id = ANY($2) AND created_at > $3`,
      [kind, caseIds, after],
    )
  )[0].n;

test('the dev server stopped and started again on its database file: running cases resume, their deadline timers still fire, and the API acts on them', async () => {
  const { app } = faults;
  const ch = await aChannel(app.db, { grade: 'premium' });
  const broker = await aBroker(app.db, ch.team);

  const intakes = await mapLimit(Array.from({ length: 10 }), 10, () =>
    app.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id })),
  );
  expect(intakes.map((r) => r.status)).toEqual(intakes.map(() => 201));
  const inFollowUp: string[] = intakes.map((r) => r.body.caseId);
  const waiting = await app.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }));
  expect(waiting.status).toBe(201);
  await waitUntilHandedOver(app, inFollowUp, 300_000);

  await faults.temporal.stop();
  await eventually(
    async () => {
      const res = await fetch(`${app.baseUrl}/readyz`);
      return (
        res.status === 503 && ((await res.json()) as { checks: { temporal: string } }).checks.temporal === 'unreachable'
      );
    },
    '/readyz to report Temporal unreachable',
    60_000,
  );
  await faults.temporal.start();
  const [{ now: restartedAt }] = await app.db.query('SELECT now()');
  await eventually(
    async () => (await fetch(`${app.baseUrl}/readyz`)).status === 200,
    '/readyz to be ready again',
    120_000,
  );

  // A case started before the restart takes an Update through the API after it.
  const [contacted, ...left] = inFollowUp;
  const attempt = await eventually(
    async () => {
      const res = await app.api(actors.broker(broker), 'POST', `/v1/leads/${contacted}/contact-attempts`, {
        channel: 'phone',
        purpose: 'service',
        outcome: 'reached',
      });
      return res.status === 201 ? res : null;
    },
    'the contact attempt to be accepted',
    120_000,
  );
  expect(attempt.body).toMatchObject({ stage: 'follow_up', brokerId: broker, deadline: { kind: 'follow_up' } });

  // The case that was waiting for consent moves on when it comes.
  const granted = await app.api(actors.channel(ch.id), 'POST', `/v1/leads/${waiting.body.caseId}/consents`, {
    noticeVersion: '2026-01',
    purposes: ['credit_assessment'],
  });
  expect(granted.status).toBe(200);
  await waitUntilHandedOver(app, [waiting.body.caseId], 300_000);

  // The first-contact timers of the others survived: each broker is reminded and each manager told
  // of the breach, the breach after the restart (it was due two minutes after assignment).
  await eventually(
    async () => (await notified('first_contact_reminder', left)) === left.length,
    'a first-contact reminder for every case',
    600_000,
  );
  await eventually(
    async () => (await notified('sla_breached', left, restartedAt)) === left.length,
    'the first-contact breach of every case, after the restart',
    600_000,
  );
  expect(await notified('sla_breached', [contacted])).toBe(0);

  // New cases start and run as before, and the worker rode out the restart.
  const fresh = await app.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
  expect(fresh.status).toBe(201);
  await waitUntilHandedOver(app, [fresh.body.caseId], 300_000);
  expect(await countHandedOver(app.db, [...inFollowUp, waiting.body.caseId, fresh.body.caseId])).toBe(12);
  expect(worker.exitCode).toBeNull();
});
