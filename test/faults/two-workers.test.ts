import { hostname } from 'node:os';
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

const CASES = 300;

let faults: FaultStack;
beforeAll(async () => {
  faults = await startFaultStack({ env: { POLICY_FILE: noQuietHours() } });
}, 300_000);
afterAll(async () => faults?.stop(), 120_000);

/** Whether any event in the case's history was handled by the worker with this identity. */
async function touchedBy(caseId: string, identity: string): Promise<boolean> {
  const history = await faults.app.client.workflow.getHandle(`lead-${caseId}`).fetchHistory();
  return (history.events ?? []).some(
    (e) =>
      e.workflowTaskCompletedEventAttributes?.identity === identity ||
      e.activityTaskStartedEventAttributes?.identity === identity,
  );
}

test('two workers share the task queue; when one is killed with SIGKILL the other carries every case to follow-up, writing nothing twice', async () => {
  const { app } = faults;
  const ch = await aChannel(app.db, { grade: 'premium' });
  await aBroker(app.db, ch.team);
  await aBroker(app.db, ch.team);

  const [doomed] = await Promise.all([faults.startWorker(), faults.startWorker()]);
  const intakes = await mapLimit(Array.from({ length: CASES }), 16, () =>
    app.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id })),
  );
  expect(intakes.filter((r) => r.status !== 201).map((r) => [r.status, r.body?.code])).toEqual([]);
  const caseIds: string[] = intakes.map((r) => r.body.caseId);

  await eventually(
    async () =>
      (
        await app.db.query(`SELECT count(*)::int AS n FROM decisions WHERE case_id = ANY($1) AND kind = 'prescreen'`, [
          caseIds,
        ])
      )[0].n >= 30,
    'the workers to pre-screen some cases',
    300_000,
  );
  await kill(doomed, 'SIGKILL');
  expect(await countHandedOver(app.db, caseIds)).toBeLessThan(CASES);

  // No replacement: the surviving worker alone finishes what both had started.
  await waitUntilHandedOver(app, caseIds, 900_000);

  // The killed worker had been doing its share (its identity is the SDK default, pid@host).
  const doomedIdentity = `${doomed.pid}@${hostname()}`;
  const sample = caseIds.slice(0, 60);
  const touched = await mapLimit(sample, 8, (id) => touchedBy(id, doomedIdentity));
  expect(touched.some(Boolean)).toBe(true);

  expect(await casesWithRowsNotWrittenOnce(app.db, caseIds)).toEqual([]);
  expect(await auditEventsRecordedTwice(app.db, caseIds)).toEqual([]);
  expect(await verifyAuditChain(app.db.manager)).toBeNull();
});
