import type { IntakeRequest } from '../../src/modules/lead/schemas/leads';
import { INTAKE_COMMIT_GRACE_MS } from '../../src/modules/lead/activities/case';
import { verifyAuditChain } from '../../src/platform/audit/verify';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import {
  auditEventsRecordedTwice,
  casesWithRowsNotWrittenOnce,
  halfMadeCases,
  waitUntilHandedOver,
} from '../support/fault-checks';
import { mapLimit, startFaultStack, type FaultStack } from '../support/fault-stack';
import { noQuietHours } from '../support/policy';
import { eventually, type ApiResponse } from '../support/stack';

const OUTAGE_MS = 30_000;
const BEFORE = 100;

let faults: FaultStack;
beforeAll(async () => {
  faults = await startFaultStack({ durablePostgres: true, env: { POLICY_FILE: noQuietHours() } });
  await faults.startWorker();
}, 300_000);
afterAll(async () => faults?.stop(), 120_000);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const readiness = async () => {
  const res = await fetch(`${faults.app.baseUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { checks: { postgres: string; temporal: string } } };
};

/** The distinct errors the API logged, to explain an unexpected 5xx. */
const loggedErrors = () => [
  ...new Set(
    faults.apiErrors.map((line) => {
      const { err } = JSON.parse(line) as { err?: string | { type?: string; message?: string } };
      return typeof err === 'string' ? err : `${err?.type}: ${err?.message}`;
    }),
  ),
];

interface Attempt {
  key: string;
  lead: IntakeRequest;
  res: ApiResponse;
}

/**
 * Intakes sent back to back (no Idempotency-Key, a new person each) while `transition` runs, so
 * that they meet Postgres shutting down or starting up; with `untilOneSucceeds`, on until one
 * succeeds after it.
 */
async function probeThrough(
  submit: () => Promise<ApiResponse>,
  transition: Promise<void>,
  untilOneSucceeds: boolean,
): Promise<ApiResponse[]> {
  const answers: ApiResponse[] = [];
  let over = false;
  const done = transition.finally(() => (over = true));
  const lane = async () => {
    while (!over || (untilOneSucceeds && !answers.some((r) => r.status === 201))) {
      answers.push(await submit());
      await pause(10);
    }
  };
  await Promise.all([done, lane(), lane()]);
  return answers;
}

test('Postgres stopped for 30 seconds: readiness and intake say so, activities retry, and afterwards every case goes on with nothing lost or half-written', async () => {
  const { app, pg } = faults;
  const ch = await aChannel(app.db, { grade: 'premium' });
  await aBroker(app.db, ch.team);
  await aBroker(app.db, ch.team);
  const channel = actors.channel(ch.id);
  const submit = (lead: IntakeRequest, key: string) =>
    app.api(channel, 'POST', '/v1/leads', lead, { 'idempotency-key': key });

  const before = await mapLimit(Array.from({ length: BEFORE }), 16, (_, i) =>
    submit(aLead({ channelId: ch.id }), `before-${i}`),
  );
  expect(before.map((r) => r.status)).toEqual(before.map(() => 201));
  const beforeIds: string[] = before.map((r) => r.body.caseId);

  // Intakes keep arriving, one person each, through the stop and the start.
  const attempts: Attempt[] = [];
  let streaming = true;
  const stream = async (lane: number) => {
    for (let i = 0; streaming; i++) {
      const key = `during-${lane}-${i}`;
      const lead = aLead({ channelId: ch.id });
      const res = await submit(lead, key);
      attempts.push({ key, lead, res });
      await pause(res.status === 201 ? 50 : 1_000);
    }
  };
  const streams = [stream(0), stream(1), stream(2)];

  await eventually(
    async () =>
      attempts.filter((a) => a.res.status === 201).length >= 6 &&
      (
        await app.db.query(`SELECT count(*)::int AS n FROM decisions WHERE case_id = ANY($1) AND kind = 'prescreen'`, [
          beforeIds,
        ])
      )[0].n >= 10,
    'some intakes to arrive and the worker to pre-screen some cases',
    300_000,
  );
  const unfinished: string[] =
    // Cases whose workflows are still running activities: not yet with a broker, nor closed, nor waiting for a person.
    (
      await app.db.query(
        `SELECT id FROM lead_cases WHERE id = ANY($1) AND is_open AND stage IN ('awaiting_consent', 'prescreening', 'matching')`,
        [beforeIds],
      )
    ).map((r: { id: string }) => r.id);
  expect(unfinished.length).toBeGreaterThan(0);

  const probe = () => app.api(channel, 'POST', '/v1/leads', aLead({ channelId: ch.id }));
  const stopProbes = await probeThrough(probe, pg.stop(), false);
  const stoppedAt = Date.now();
  try {
    const ready = await readiness();
    expect([ready.status, ready.body.checks.postgres]).toEqual([503, 'unreachable']);

    for (const key of [undefined, 'outage-probe']) {
      const res = await app.api(
        channel,
        'POST',
        '/v1/leads',
        aLead({ channelId: ch.id }),
        key ? { 'idempotency-key': key } : {},
      );
      expect([res.status, res.body.code]).toEqual([503, 'database_unavailable']);
    }

    // The workflows' activities fail and are retried rather than given up.
    await eventually(
      async () => {
        for (const id of unfinished.slice(0, 20)) {
          const d = await app.client.workflow.getHandle(`lead-${id}`).describe();
          if (d.raw.pendingActivities?.some((a) => (a.attempt ?? 0) >= 2 && a.lastFailure)) return true;
        }
        return false;
      },
      'an activity retrying after a failure',
      OUTAGE_MS,
    );
    const [stillDown] = await Promise.all([readiness(), pause(OUTAGE_MS - (Date.now() - stoppedAt))]);
    expect(stillDown.body.checks.postgres).toBe('unreachable');
  } catch (err) {
    await pg.start();
    throw err;
  }
  const startProbes = await probeThrough(probe, pg.start(), true);
  const sinceRestart = attempts.length;

  await eventually(async () => (await readiness()).status === 200, '/readyz to report ready again', 120_000);
  const [{ now: restartedAt }] = await app.db.query('SELECT now()');
  await eventually(
    async () => attempts.slice(sinceRestart).some((a) => a.res.status === 201),
    'an intake to succeed after the outage',
    120_000,
  );
  streaming = false;
  await Promise.all(streams);
  const lastIntakeAt = Date.now();

  // Every intake either made its case or said 503 with a code a client retries on; none failed otherwise.
  const outcomes = (answers: ApiResponse[]) =>
    [...new Set(answers.map((r) => `${r.status} ${r.status === 201 ? '' : r.body?.code}`.trim()))].sort();
  const all = [...attempts.map((a) => a.res), ...stopProbes, ...startProbes];
  if (all.some((r) => r.status === 500))
    throw new Error(`an intake failed with 500; the API logged: ${loggedErrors().join(' | ')}`);
  expect(outcomes(attempts.map((a) => a.res))).toEqual(['201', '503 database_unavailable']);
  expect(outcomes([...stopProbes, ...startProbes])).toEqual(['201', '503 database_unavailable']);

  // A client retrying a refused intake with its Idempotency-Key gets its case, once.
  const refused = attempts.filter((a) => a.res.status !== 201);
  const retried = await mapLimit(refused, 8, (a) =>
    eventually(
      async () => {
        const res = await submit(a.lead, a.key);
        return res.status === 201 ? res : null;
      },
      'a refused intake to succeed on retry',
      120_000,
    ),
  );
  const again = await mapLimit(refused, 8, (a) => submit(a.lead, a.key));
  expect(again.map((r) => [r.status, r.body.replayed, r.body.caseId])).toEqual(
    retried.map((r) => [200, true, r.body.caseId]),
  );

  const probed = [...stopProbes, ...startProbes].filter((r) => r.status === 201);
  const duringIds = [
    ...[...attempts.map((a) => a.res), ...probed].filter((r) => r.status === 201).map((r) => r.body.caseId),
    ...retried.map((r) => r.body.caseId),
  ];
  const caseIds = [...beforeIds, ...duringIds];
  expect(new Set(caseIds).size).toBe(caseIds.length);
  await waitUntilHandedOver(app, caseIds, 900_000);

  // Work held up by the outage finished after it.
  const resumed = (
    await app.db.query(
      `SELECT count(*)::int AS n FROM notifications WHERE kind = 'case_assigned' AND case_id = ANY($1) AND created_at > $2`,
      [beforeIds, restartedAt],
    )
  )[0].n;
  expect(resumed).toBeGreaterThan(0);

  expect(await casesWithRowsNotWrittenOnce(app.db, caseIds)).toEqual([]);
  expect(await auditEventsRecordedTwice(app.db, caseIds)).toEqual([]);
  expect(await verifyAuditChain(app.db.manager)).toBeNull();
  const [{ n: ofChannel }] = await app.db.query('SELECT count(*)::int AS n FROM lead_cases WHERE channel_id = $1', [
    ch.id,
  ]);
  expect(ofChannel).toBe(caseIds.length);
  // An intake that met the outage at COMMIT could not learn whether its rows committed, so it left
  // its workflow running; that workflow ends itself once its row has been missing for the grace
  // period while the database answers, at the next retry of its first activity (back-off ≤ 1 min).
  const orphansGoneBy = lastIntakeAt + INTAKE_COMMIT_GRACE_MS + 60_000 + 30_000;
  await eventually(
    async () => {
      const half = await halfMadeCases(app);
      return half.rowsWithoutParts.length === 0 && half.workflowsWithoutRow.length === 0 ? half : null;
    },
    'no half-made case (an intake unsure of its commit leaves a workflow that ends itself)',
    Math.max(60_000, orphansGoneBy - Date.now()),
  ).catch(async (err: Error) => {
    const half = await halfMadeCases(app);
    const orphans = await Promise.all(
      half.workflowsWithoutRow.map(async (id) => {
        const d = await app.client.workflow.getHandle(id).describe();
        return {
          id,
          started: d.startTime,
          pending: d.raw.pendingActivities?.map((a) => [a.activityType?.name, a.attempt, a.lastFailure?.message]),
        };
      }),
    );
    throw new Error(`${err.message}: ${JSON.stringify({ ...half, orphans })}`);
  });
});
