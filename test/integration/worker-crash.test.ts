import type { ChildProcess } from 'node:child_process';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type TestStack } from '../support/stack';
import { kill, spawnWorker } from '../support/worker-process';

let stack: TestStack;
const workers: ChildProcess[] = [];
beforeAll(async () => {
  stack = await startStack({ POLICY_FILE: noQuietHours() }, { worker: false });
});
afterAll(async () => {
  for (const w of workers) await kill(w, 'SIGKILL');
  await stack?.stop();
});

test('a worker killed with SIGKILL mid-case is replaced and every case reaches follow-up with no row written twice', async () => {
  const ch = await aChannel(stack.db, { grade: 'premium' });
  await aBroker(stack.db, ch.team);
  await aBroker(stack.db, ch.team);

  const first = spawnWorker(stack.cfg);
  workers.push(first.child);
  await first.ready;
  const intakes = await Promise.all(Array.from({ length: 30 }, () => stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }))));
  expect(intakes.map((r) => r.status)).toEqual(intakes.map(() => 201));
  const caseIds: string[] = intakes.map((r) => r.body.caseId);
  // Kill it while the cases are mid-way (consent recorded, pre-screen and matching in flight).
  await eventually(async () => (await stack.db.query(`SELECT count(*)::int AS n FROM decisions WHERE case_id = ANY($1)`, [caseIds]))[0].n > 0, 'work under way', 20_000);
  await kill(first.child, 'SIGKILL');
  const midway = (await stack.db.query(`SELECT count(*)::int AS n FROM lead_cases WHERE id = ANY($1) AND stage = 'follow_up'`, [caseIds]))[0].n;
  expect(midway).toBeLessThan(caseIds.length);

  const second = spawnWorker(stack.cfg);
  workers.push(second.child);
  try {
    await second.ready;
    await eventually(
      async () =>
        (
          await stack.db.query(
            `SELECT count(*)::int AS n FROM lead_cases c WHERE c.id = ANY($1) AND c.stage = 'follow_up'
               AND EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.id AND n.kind = 'case_assigned')`,
            [caseIds],
          )
        )[0].n === caseIds.length,
      'every case to reach follow_up and its broker to be told',
      90_000,
    );
  } catch (err) {
    const stages = await stack.db.query(`SELECT stage, risk_tier, count(*)::int AS n FROM lead_cases WHERE id = ANY($1) GROUP BY 1, 2`, [caseIds]);
    const stuck: { id: string }[] = await stack.db.query(`SELECT id FROM lead_cases WHERE id = ANY($1) AND stage <> 'follow_up'`, [caseIds]);
    const why = await Promise.all(stuck.map(async ({ id }) => {
      const d = await stack.client.workflow.getHandle(`lead-${id}`).describe();
      const failure = await stack.client.workflow.getHandle(`lead-${id}`).result().then(() => null, (e: any) => [e.message, e.cause?.message, e.cause?.cause?.message, e.cause?.cause?.type]);
      return { status: d.status.name, failure, pending: d.raw.pendingActivities?.map((a) => [a.activityType?.name, a.attempt, a.lastFailure?.message]) };
    }));
    throw new Error(`${(err as Error).message}; stages now: ${JSON.stringify(stages)}; stuck: ${JSON.stringify(why)}`, { cause: err });
  } finally {
    await kill(second.child, 'SIGTERM');
  }

  const perCase = await stack.db.query(
    `SELECT c.id,
       (SELECT count(*)::int FROM decisions d WHERE d.case_id = c.id AND d.kind = 'prescreen') AS prescreens,
       (SELECT count(*)::int FROM decisions d WHERE d.case_id = c.id AND d.kind = 'match') AS matches,
       (SELECT count(*)::int FROM consents k WHERE k.case_id = c.id) AS consents,
       (SELECT count(*)::int FROM notifications n WHERE n.case_id = c.id AND n.kind = 'case_assigned') AS assigned
     FROM lead_cases c WHERE c.id = ANY($1)`,
    [caseIds],
  );
  for (const row of perCase) expect(row).toEqual({ id: row.id, prescreens: 1, matches: 1, consents: 2, assigned: 1 });
});
