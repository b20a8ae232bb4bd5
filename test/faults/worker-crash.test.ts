import { verifyAuditChain } from '../../src/platform/audit/verify';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import {
  auditEventsRecordedTwice,
  casesWithRowsNotWrittenOnce,
  countHandedOver,
  waitUntilHandedOver,
} from '../support/fault-checks';
import { mapLimit, startFaultStack, type FaultStack } from '../support/fault-stack';
import { noQuietHours } from '../support/policy';
import { eventually } from '../support/stack';
import { kill } from '../support/worker-process';

const CASES = 1_000;

let faults: FaultStack;
beforeAll(async () => {
  faults = await startFaultStack({ env: { POLICY_FILE: noQuietHours() } });
}, 300_000);
afterAll(async () => faults?.stop(), 120_000);

test('1,000 open cases: the worker is killed with SIGKILL mid-activity, a new one takes over, and every case reaches follow-up with no row written twice', async () => {
  const { app } = faults;
  const ch = await aChannel(app.db, { grade: 'premium' });
  await aBroker(app.db, ch.team);
  await aBroker(app.db, ch.team);

  // Every case is open and waiting on the task queue before any worker runs.
  const intakes = await mapLimit(Array.from({ length: CASES }), 16, () =>
    app.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id })),
  );
  expect(intakes.filter((r) => r.status !== 201).map((r) => [r.status, r.body?.code])).toEqual([]);
  const caseIds: string[] = intakes.map((r) => r.body.caseId);

  const first = await faults.startWorker();
  // Killed while the cases are mid-way: some pre-screened, most still with activities ahead of them.
  await eventually(
    async () =>
      (
        await app.db.query(`SELECT count(*)::int AS n FROM decisions WHERE case_id = ANY($1) AND kind = 'prescreen'`, [
          caseIds,
        ])
      )[0].n >= 50,
    'the first worker to pre-screen some cases',
    300_000,
  );
  await kill(first, 'SIGKILL');
  expect(await countHandedOver(app.db, caseIds)).toBeLessThan(CASES);

  await faults.startWorker();
  await waitUntilHandedOver(app, caseIds, 900_000);

  expect(await casesWithRowsNotWrittenOnce(app.db, caseIds)).toEqual([]);
  expect(await auditEventsRecordedTwice(app.db, caseIds)).toEqual([]);
  expect(await verifyAuditChain(app.db.manager)).toBeNull();
});
