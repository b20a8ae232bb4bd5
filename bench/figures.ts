import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { ChildStatus } from './child-protocol';
import { createActivities } from '../src/activities';
import { erasureGroupCommitFor } from '../src/activities/erasure';
import { openDatabase } from '../src/db/data-source';
import { dataConverterFor } from '../src/infra/temporal-connection';
import { leadWorkflowId } from '../src/temporal/names';
import { verifiedUpdate } from '../src/services/temporal-calls';
import { contactAttemptUpdate } from '../src/workflows/messages';
import { addCpu, cpuBetween, cpuPerOperation, cpuSnapshot, type CpuSnapshot } from './cpu';
import { contactAttempts, fillOpenCases, followUpCases, intakeBatch, type Bench, type IntakeRun } from './context';
import { runPool, sleep, waitFor, type PoolRun } from './load';
import { atLeast, atMost, formatNumber, leastSquares, ratio, summarize, type FigureRow, type LatencySummary } from './stats';
import { benchCaseLike, benchCaseLikeUpdate, benchEmpty, benchFinishSignal, benchNoopUpdate, benchTimer, benchUpdatable } from './workflows';

const MB = 1024 * 1024;
const WAIT_72H = 72 * 3_600_000;

/** Runs the two sides in rounds, A then B, then B then A, so drift and others' load hit both alike. */
async function alternate(rounds: number, a: (round: number) => Promise<void>, b: (round: number) => Promise<void>): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await a(r);
      await b(r);
    } else {
      await b(r);
      await a(r);
    }
  }
}

/** The bench's own processes by name, for the CPU breakdown (the workers may have been restarted). */
const namedProcesses = (b: Bench) =>
  new Map<number, string>(
    ([[b.api, 'api'], [b.leadWorker, 'lead worker'], [b.bareWorker, 'bare worker']] as const)
      .filter(([child]) => child.process.pid !== undefined)
      .map(([child, name]) => [child.process.pid!, name]),
  );

/** Runs `work` and adds the CPU every part of the bench spent meanwhile into `into`. */
async function countingCpu<T>(b: Bench, into: CpuSnapshot, work: () => Promise<T>): Promise<T> {
  const before = cpuSnapshot(namedProcesses(b));
  const result = await work();
  addCpu(into, cpuBetween(before, cpuSnapshot(namedProcesses(b))));
  return result;
}

const share = (total: number, rounds: number, round: number) => Math.floor(total / rounds) + (round < total % rounds ? 1 : 0);

/** `n` empty workflows started and completed, `concurrency` at a time: the bare engine's intake. */
const emptyWorkflows = (b: Bench, n: number, concurrency: number) =>
  runPool(n, concurrency, () => b.client.workflow.execute(benchEmpty, { taskQueue: b.bareQueue, workflowId: `bench-empty-${randomUUID()}` }));

export interface IntakeFigure {
  row: FigureRow;
  intakePerSecond: number;
  details: Record<string, unknown>;
}

/** 1. Lead intake through the API against starting and completing an empty workflow. */
export async function intakeThroughput(b: Bench): Promise<IntakeFigure> {
  const { intakes, concurrency, rounds } = b.opts;
  const empty = (n: number) => emptyWorkflows(b, n, concurrency);
  // Warm both paths (connections, JIT, caches) before anything counts.
  await intakeBatch(b, Math.min(40, intakes), concurrency);
  await empty(Math.min(40, intakes));

  const lead = { n: 0, ms: 0, latencies: [] as number[], cpu: new Map() as CpuSnapshot };
  const bare = { n: 0, ms: 0, latencies: [] as number[], cpu: new Map() as CpuSnapshot };
  await alternate(
    rounds,
    async (r) => {
      const run = await countingCpu(b, lead.cpu, () => intakeBatch(b, share(intakes, rounds, r), concurrency));
      lead.n += run.caseIds.length;
      lead.ms += run.elapsedMs;
      lead.latencies.push(...run.latencies);
    },
    async (r) => {
      const n = share(intakes, rounds, r);
      const run = await countingCpu(b, bare.cpu, () => empty(n));
      bare.n += n;
      bare.ms += run.elapsedMs;
      bare.latencies.push(...run.latencies);
    },
  );
  const value = lead.n / (lead.ms / 1000);
  const baseline = bare.n / (bare.ms / 1000);
  const r = ratio(value, baseline);
  return {
    intakePerSecond: value,
    row: {
      id: 'intake_throughput',
      figure: `lead intake, POST /v1/leads to first stage (${concurrency} concurrent)`,
      unit: 'cases/s',
      value,
      baselineLabel: 'empty workflow started and completed',
      baseline,
      ratio: r,
      checks: [atLeast('ratio >= 0.7', r, 0.7)],
    },
    details: {
      intakes: lead.n, concurrency, rounds, intakeRequestMs: summarize(lead.latencies), emptyWorkflowMs: summarize(bare.latencies),
      // Where each side's CPU went, per case and per empty workflow: the parts share the same cores.
      cpuMsPerIntake: cpuPerOperation(lead.cpu, lead.n),
      cpuMsPerEmptyWorkflow: cpuPerOperation(bare.cpu, bare.n),
    },
  };
}

export interface ActionLatency {
  contact: LatencySummary;
  noop?: LatencySummary;
}

/** Contact attempts (an Update on leadCase, through the API) on fresh follow-up cases. */
async function measureContactAttempts(b: Bench, n: number, concurrency: number): Promise<LatencySummary> {
  const cases = await followUpCases(b, Math.max(concurrency * 4, 8));
  await contactAttempts(b, cases, cases.length, concurrency); // warm-up: every case's first attempt
  const run = await contactAttempts(b, cases, n, concurrency, 1);
  return summarize(run.latencies);
}

/** 2. p50/p99 of a contact attempt through the API against executeUpdate with a no-op handler. */
export async function caseActionLatency(b: Bench): Promise<{ rows: FigureRow[]; details: Record<string, unknown> }> {
  const { updates, updateConcurrency: c, rounds } = b.opts;
  const cases = await followUpCases(b, Math.max(c * 4, 8));
  const handles: WorkflowHandle<typeof benchUpdatable>[] = await Promise.all(
    cases.map(() => b.client.workflow.start(benchUpdatable, { taskQueue: b.bareQueue, workflowId: `bench-updatable-${randomUUID()}` })),
  );
  // The engine's floor: bare workflows whose Update does what a contact attempt makes the engine do.
  const caseLike: WorkflowHandle<typeof benchCaseLike>[] = await Promise.all(
    cases.map(() => b.client.workflow.start(benchCaseLike, { taskQueue: b.bareQueue, workflowId: `bench-case-like-${randomUUID()}` })),
  );
  // The contact attempt's own Update sent straight to Temporal, as the API sends it (with the
  // payload codec), on the same cases: what the API adds is the difference.
  const codecClient = new Client({ connection: b.client.connection, namespace: b.cfg.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(b.cfg) });
  const direct = (n: number, offset: number) => runPool(n, c, (i) => {
    const k = cases[(offset + i) % cases.length];
    const workflowId = leadWorkflowId(k.caseId);
    return codecClient.workflow.getHandle(workflowId).executeUpdate(
      contactAttemptUpdate,
      verifiedUpdate(workflowId, contactAttemptUpdate.name, { sub: k.brokerId, role: 'broker' }, { channel: 'phone', purpose: 'service', outcome: 'no_answer' }),
    );
  });
  try {
    const noop = (n: number, offset: number) => runPool(n, c, (i) => handles[(offset + i) % handles.length].executeUpdate(benchNoopUpdate));
    const sameWork = (n: number, offset: number) => runPool(n, c, (i) => caseLike[(offset + i) % caseLike.length].executeUpdate(benchCaseLikeUpdate));
    await contactAttempts(b, cases, cases.length, c);
    await direct(cases.length, 0);
    await noop(handles.length, 0);
    await sameWork(caseLike.length, 0);

    const contact: number[] = [];
    const straight: number[] = [];
    const bare: number[] = [];
    const floor: number[] = [];
    let done = 0;
    await alternate(
      rounds,
      async (r) => {
        // Through the API and straight to Temporal take turns too, on the same cases.
        const n = share(updates, rounds, r);
        if (r % 2 === 0) {
          contact.push(...(await contactAttempts(b, cases, n, c, done)).latencies);
          straight.push(...(await direct(n, done)).latencies);
        } else {
          straight.push(...(await direct(n, done)).latencies);
          contact.push(...(await contactAttempts(b, cases, n, c, done)).latencies);
        }
      },
      async (r) => {
        // The two bare sides take turns too.
        const n = share(updates, rounds, r);
        if (r % 2 === 0) {
          bare.push(...(await noop(n, done)).latencies);
          floor.push(...(await sameWork(n, done)).latencies);
        } else {
          floor.push(...(await sameWork(n, done)).latencies);
          bare.push(...(await noop(n, done)).latencies);
        }
        done += n;
      },
    );
    const lead = summarize(contact);
    const base = summarize(bare);
    const same = summarize(floor);
    const viaClient = summarize(straight);
    b.log(`  contact attempt against the same work on the bare engine: p50 ${formatNumber(ratio(lead.p50, same.p50))}x, p99 ${formatNumber(ratio(lead.p99, same.p99))}x`);
    b.log(`  the same Update straight to Temporal (no API): p50 ${formatNumber(viaClient.p50)} ms, p99 ${formatNumber(viaClient.p99)} ms; the API adds ${formatNumber(lead.p50 - viaClient.p50)} ms at p50`);
    return {
      rows: [
        // The target is set against what the engine itself needs for the same durable work.
        ...(['p50', 'p99'] as const).map((q): FigureRow => ({
          id: `case_action_${q}`, figure: `contact attempt via API, ${q} (${c} concurrent)`, unit: 'ms', value: lead[q],
          baselineLabel: `the same work on the bare engine ${q}`, baseline: same[q], ratio: ratio(lead[q], same[q]),
          checks: [atMost('ratio <= 1.25', ratio(lead[q], same[q]), 1.25)],
        })),
        ...(['p50', 'p99'] as const).map((q): FigureRow => ({
          id: `case_action_floor_${q}`, figure: `same work on the bare engine, ${q} (local activity, timer moved, SlaDueAt)`, unit: 'ms', value: same[q],
          baselineLabel: `no-op executeUpdate ${q}`, baseline: base[q], ratio: ratio(same[q], base[q]), checks: [],
          note: `the contact attempt is ${formatNumber(ratio(lead[q], base[q]))}x the no-op`,
        })),
        ...(['p50', 'p99'] as const).map((q): FigureRow => ({
          id: `case_action_direct_${q}`, figure: `contact attempt's Update straight to Temporal, ${q} (no API)`, unit: 'ms', value: viaClient[q],
          baselineLabel: `no-op executeUpdate ${q}`, baseline: base[q], ratio: ratio(viaClient[q], base[q]), checks: [],
        })),
      ],
      details: { contactAttemptMs: lead, contactUpdateStraightToTemporalMs: viaClient, noopUpdateMs: base, sameWorkOnBareEngineMs: same, cases: cases.length, concurrency: c },
    };
  } finally {
    await Promise.allSettled([...handles, ...caseLike].map((h) => h.signal(benchFinishSignal)));
  }
}

export interface LevelSample {
  openCases: number;
  intakePerSecond: number;
  intakeRequestMs: LatencySummary;
  /** The lead worker after the measurements: RSS and cached workflows. */
  leadWorker: ChildStatus;
  /** The bare engine at the same moment: empty workflows started and completed, as many at once. */
  emptyPerSecond: number;
  contact: LatencySummary;
}

/** One point of figure 4: intake throughput and contact-attempt latency with `target` cases open. */
export async function measureAtOpenLevel(b: Bench, target: number): Promise<LevelSample> {
  const openCases = await fillOpenCases(b, target);
  await settled(b, 'lead', 0); // the fill's last tasks are done before anything is timed
  const n = Math.max(40, Math.round(b.opts.intakes / 2));
  const runs: { intake?: IntakeRun; empty?: PoolRun } = {};
  await alternate(
    1,
    async () => {
      runs.intake = await intakeBatch(b, n, b.opts.concurrency);
    },
    async () => {
      runs.empty = await emptyWorkflows(b, n, b.opts.concurrency);
    },
  );
  const { intake, empty } = runs as Required<typeof runs>;
  const contact = await measureContactAttempts(b, b.opts.updates, b.opts.updateConcurrency);
  return {
    openCases,
    leadWorker: await b.leadWorker.status(),
    intakePerSecond: intake.caseIds.length / (intake.elapsedMs / 1000),
    intakeRequestMs: summarize(intake.latencies),
    emptyPerSecond: n / (empty.elapsedMs / 1000),
    contact,
  };
}

/** 4. The same measurements with many cases open against 1,000 open; the bare engine's change is shown beside them. */
export function openCasesRows(low: LevelSample, high: LevelSample): FigureRow[] {
  const p99 = ratio(high.contact.p99, low.contact.p99);
  const tput = ratio(high.intakePerSecond, low.intakePerSecond);
  const bare = ratio(high.emptyPerSecond, low.emptyPerSecond);
  return [
    {
      id: 'open_cases_p99', figure: `contact attempt p99 with ${high.openCases} open cases`, unit: 'ms', value: high.contact.p99,
      baselineLabel: `${low.openCases} open`, baseline: low.contact.p99, ratio: p99, checks: [atMost('ratio <= 1.5', p99, 1.5)],
    },
    {
      id: 'open_cases_throughput', figure: `intake throughput with ${high.openCases} open cases`, unit: 'cases/s', value: high.intakePerSecond,
      baselineLabel: `${low.openCases} open`, baseline: low.intakePerSecond, ratio: tput, checks: [atLeast('ratio >= 0.8', tput, 0.8)],
    },
    {
      id: 'open_cases_bare_throughput', figure: `control: empty workflows with ${high.openCases} open cases`, unit: 'wf/s', value: high.emptyPerSecond,
      baselineLabel: `${low.openCases} open`, baseline: low.emptyPerSecond, ratio: bare, checks: [],
    },
  ];
}

interface MemoryPoint {
  cases: number;
  leadCached: number;
  leadRss: number;
  leadHeap: number;
  bareCached: number;
  bareRss: number;
  bareHeap: number;
}

/** Waits until a worker has at least `cached` workflows in its cache and nothing in flight, twice in a row. */
async function settled(b: Bench, kind: 'lead' | 'bare', cached: number): Promise<void> {
  let quietPolls = 0;
  await waitFor(`the ${kind} worker to settle with ${cached} cached workflows`, async () => {
    const s = await (kind === 'lead' ? b.leadWorker : b.bareWorker).status();
    quietPolls = s.cachedWorkflows >= cached && s.inFlightActivations === 0 && s.inFlightActivities === 0 ? quietPolls + 1 : 0;
    return quietPolls >= 3;
  }, 300_000, 200);
}

/**
 * 3. Worker RSS per open case. Both workers are restarted as fresh processes whose cache holds every
 * case (so the slope is the memory of a cached case, the worst case); the cases wait on a 72 h
 * deadline. At each step both get the same number of new cases, then are garbage-collected and read.
 */
export async function memoryPerCase(b: Bench): Promise<{ row: FigureRow; details: Record<string, unknown> }> {
  const top = b.opts.cases;
  const cache = top + 1_000;
  await Promise.all([b.restartWorker('lead', cache), b.restartWorker('bare', cache)]);
  const steps = 6;
  const first = Math.max(10, Math.round(top / 10));
  const targets = Array.from({ length: steps }, (_, i) => Math.round(first + ((top - first) * i) / (steps - 1)));
  const points: MemoryPoint[] = [];
  let made = 0;
  for (const target of targets) {
    const n = target - made;
    await alternate(
      1,
      async () => {
        await intakeBatch(b, n, b.opts.fillConcurrency);
      },
      async () => {
        await runPool(n, b.opts.fillConcurrency, () =>
          b.client.workflow.start(benchTimer, { taskQueue: b.bareQueue, workflowId: `bench-timer-${randomUUID()}`, args: [WAIT_72H] }),
        );
      },
    );
    made = target;
    await Promise.all([settled(b, 'lead', made), settled(b, 'bare', made)]);
    await sleep(500);
    const [lead, bare] = await Promise.all([b.leadWorker.collectGarbage(), b.bareWorker.collectGarbage()]);
    points.push({ cases: made, leadCached: lead.cachedWorkflows, leadRss: lead.rss, leadHeap: lead.heapUsed, bareCached: bare.cachedWorkflows, bareRss: bare.rss, bareHeap: bare.heapUsed });
    b.log(`  ${made} cases: lead worker ${(lead.rss / MB).toFixed(0)} MB RSS (${lead.cachedWorkflows} cached), bare worker ${(bare.rss / MB).toFixed(0)} MB (${bare.cachedWorkflows} cached)`);
  }
  const leadFit = leastSquares(points.map((p) => ({ x: p.leadCached, y: p.leadRss / MB })));
  const bareFit = leastSquares(points.map((p) => ({ x: p.bareCached, y: p.bareRss / MB })));
  const heapLead = leastSquares(points.map((p) => ({ x: p.leadCached, y: p.leadHeap / MB })));
  const heapBare = leastSquares(points.map((p) => ({ x: p.bareCached, y: p.bareHeap / MB })));
  // Give the memory back before the next figure: fresh workers with the SDK's default cache.
  await Promise.all([b.restartWorker('lead', b.opts.leadCache), b.restartWorker('bare')]);
  const r = ratio(leadFit.slope, bareFit.slope);
  return {
    row: {
      id: 'memory_per_case', figure: `lead worker RSS per open case (${first} to ${top} cached)`, unit: 'MB/case', value: leadFit.slope,
      baselineLabel: 'bare workflow on a timer', baseline: bareFit.slope, ratio: r,
      checks: [atMost('ratio <= 1.3', r, 1.3), atMost('<= 0.5 MB/case', leadFit.slope, 0.5)],
    },
    details: {
      maxCachedWorkflows: cache,
      points: points.map((p) => ({ ...p, leadRssMB: p.leadRss / MB, bareRssMB: p.bareRss / MB })),
      rssFit: { lead: leadFit, bare: bareFit },
      heapUsedMBPerCase: { lead: heapLead.slope, bare: heapBare.slope },
    },
  };
}

/** The SDK's default maxConcurrentActivityTaskExecutions, which the lead worker keeps. */
const WORKER_ACTIVITY_CONCURRENCY = 100;

/**
 * 5. Erasure through the real activity (eraseLeadData: the worker's group commit, one transaction
 * and one hold of the audit chain's lock per batch of the calls that arrive together) at the
 * worker's activity concurrency, the SDK's default maxConcurrentActivityTaskExecutions of 100: that
 * many erasures run at once when retention timers fire together. Its connection pool is the
 * worker's (DATABASE_POOL_MAX). Against a batched delete of the same kind of rows, `--erase-batch`
 * per statement. Both sides erase open cases made by this run, alternately, in rounds.
 */
export async function erasureRate(b: Bench, intakePerSecond: number): Promise<{ row: FigureRow; details: Record<string, unknown> }> {
  const { erase, eraseBatch, rounds } = b.opts;
  // One batch per side more than is timed: the warm-up.
  const needed = 2 * (erase + eraseBatch);
  const have = (await b.db.query(`SELECT count(*)::int AS n FROM lead_cases WHERE channel_id = $1 AND erased_at IS NULL AND stage = 'awaiting_consent'`, [b.channelId]))[0].n as number;
  if (have < needed) await intakeBatch(b, needed - have, b.opts.fillConcurrency);
  const rows: { id: string }[] = await b.db.query(
    `SELECT id FROM lead_cases WHERE channel_id = $1 AND erased_at IS NULL AND stage = 'awaiting_consent' ORDER BY random() LIMIT $2`,
    [b.channelId, needed],
  );
  const ids = rows.map((r) => r.id);
  const warmActivity = ids.slice(0, eraseBatch);
  const warmBatch = ids.slice(eraseBatch, 2 * eraseBatch);
  const measured = ids.slice(2 * eraseBatch);
  const viaActivity = measured.filter((_, i) => i % 2 === 0);
  const viaBatch = measured.filter((_, i) => i % 2 === 1);

  const concurrency = WORKER_ACTIVITY_CONCURRENCY;
  const workerDb = await openDatabase(b.servers.databaseUrl, { poolMax: b.cfg.DATABASE_POOL_MAX });
  try {
    const activities = createActivities({ db: workerDb, policy: b.cfg.policy });
    const eraseViaActivity = (caseIds: string[], at: string) =>
      runPool(caseIds.length, concurrency, (i) => activities.eraseLeadData({ caseId: caseIds[i], eventId: `bench-erase:${caseIds[i]}`, reason: 'consent_withdrawn', at }));
    // Warm both paths before anything counts, as figures 1 and 2 do: the pool's connection, and
    // erase_cases's statements, which PL/pgSQL plans on a connection's first call and then reuses
    // for as long as the connection lives (a worker's pool lives as long as the worker).
    await eraseViaActivity(warmActivity, new Date().toISOString());
    await batchedDelete(workerDb, warmBatch);
    const warmUp = erasureGroupCommitFor(workerDb).stats();
    const slice = (ids: string[], r: number) => {
      const per = Math.ceil(ids.length / rounds);
      return ids.slice(r * per, (r + 1) * per);
    };
    let activityMs = 0;
    let batchMs = 0;
    await alternate(
      rounds,
      async (r) => {
        const ids = slice(viaActivity, r);
        const at = new Date().toISOString();
        activityMs += (await eraseViaActivity(ids, at)).elapsedMs;
      },
      async (r) => {
        const ids = slice(viaBatch, r);
        const t0 = performance.now();
        for (let i = 0; i < ids.length; i += eraseBatch) await batchedDelete(workerDb, ids.slice(i, i + eraseBatch));
        batchMs += performance.now() - t0;
      },
    );
    const value = viaActivity.length / (activityMs / 1000);
    const baseline = viaBatch.length / (batchMs / 1000);
    const all = erasureGroupCommitFor(workerDb).stats();
    const groupCommit = { batches: all.batches - warmUp.batches, cases: all.cases - warmUp.cases, peakInFlight: all.peakInFlight };
    const r = ratio(value, baseline);
    return {
      row: {
        id: 'erasure_rate', figure: `erasure via eraseLeadData (${concurrency} concurrent)`, unit: 'cases/s', value,
        baselineLabel: `batched SQL delete, ${eraseBatch} per statement`, baseline, ratio: r,
        // Without figure 1 in the run there is no intake rate to compare with.
        checks: [atLeast('ratio >= 0.5', r, 0.5), ...(intakePerSecond > 0 ? [atLeast(`>= 2x intake (${formatNumber(intakePerSecond)}/s)`, value, 2 * intakePerSecond)] : [])],
      },
      details: {
        erasedPerSide: viaActivity.length, concurrency, poolMax: b.cfg.DATABASE_POOL_MAX, batch: eraseBatch, intakePerSecond,
        warmUpPerSide: eraseBatch,
        groupCommit: { batches: groupCommit.batches, meanBatchSize: groupCommit.batches === 0 ? 0 : groupCommit.cases / groupCommit.batches, peakInFlight: groupCommit.peakInFlight },
      },
    };
  } finally {
    await workerDb.destroy();
  }
}

/** The bare minimum an erasure must do, for a set of cases at once: the baseline of figure 5. */
async function batchedDelete(db: Awaited<ReturnType<typeof openDatabase>>, ids: string[]): Promise<void> {
  await db.transaction(async (m) => {
    await m.query('DELETE FROM identities WHERE case_id = ANY($1::uuid[])', [ids]);
    await m.query('DELETE FROM lead_data_keys WHERE case_id = ANY($1::uuid[])', [ids]);
    await m.query('DELETE FROM credit_facts WHERE case_id = ANY($1::uuid[])', [ids]);
    await m.query(
      `UPDATE lead_cases SET id_index = NULL, phone_index = NULL, device_index = NULL, age_at_intake = NULL, region_mismatches = '{}',
         is_open = false, erased_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  });
}
