import { randomUUID } from 'node:crypto';
import type { ChildStatus } from './child-protocol';
import { addCpu, cpuBetween, cpuPerOperation, cpuSnapshot, type CpuSnapshot } from './cpu';
import type { Bench } from './context';
import { fillOpenCases, intakeBatch, type IntakeRun } from './workload';
import { measureContactAttempts } from './figure-case-action';
import { runPool, sleep, waitFor, type PoolRun } from './load';
import { alternate, share } from './rounds';
import { atLeast, atMost, leastSquares, ratio, summarize, type FigureRow, type LatencySummary } from './stats';
import { benchEmpty, benchTimer } from './workflows';

const MB = 1024 * 1024;
const WAIT_72H = 72 * 3_600_000;

/** The bench's own processes by name, for the CPU breakdown (the workers may have been restarted). */
const namedProcesses = (b: Bench) =>
  new Map<number, string>(
    (
      [
        [b.api, 'api'],
        [b.leadWorker, 'lead worker'],
        [b.bareWorker, 'bare worker'],
      ] as const
    )
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

/** `n` empty workflows started and completed, `concurrency` at a time: the bare engine's intake. */
const emptyWorkflows = (b: Bench, n: number, concurrency: number) =>
  runPool(n, concurrency, () =>
    b.client.workflow.execute(benchEmpty, { taskQueue: b.bareQueue, workflowId: `bench-empty-${randomUUID()}` }),
  );

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
      intakes: lead.n,
      concurrency,
      rounds,
      intakeRequestMs: summarize(lead.latencies),
      emptyWorkflowMs: summarize(bare.latencies),
      // Where each side's CPU went, per case and per empty workflow: the parts share the same cores.
      cpuMsPerIntake: cpuPerOperation(lead.cpu, lead.n),
      cpuMsPerEmptyWorkflow: cpuPerOperation(bare.cpu, bare.n),
    },
  };
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
      id: 'open_cases_p99',
      figure: `contact attempt p99 with ${high.openCases} open cases`,
      unit: 'ms',
      value: high.contact.p99,
      baselineLabel: `${low.openCases} open`,
      baseline: low.contact.p99,
      ratio: p99,
      checks: [atMost('ratio <= 1.5', p99, 1.5)],
    },
    {
      id: 'open_cases_throughput',
      figure: `intake throughput with ${high.openCases} open cases`,
      unit: 'cases/s',
      value: high.intakePerSecond,
      baselineLabel: `${low.openCases} open`,
      baseline: low.intakePerSecond,
      ratio: tput,
      checks: [atLeast('ratio >= 0.8', tput, 0.8)],
    },
    {
      id: 'open_cases_bare_throughput',
      figure: `control: empty workflows with ${high.openCases} open cases`,
      unit: 'wf/s',
      value: high.emptyPerSecond,
      baselineLabel: `${low.openCases} open`,
      baseline: low.emptyPerSecond,
      ratio: bare,
      checks: [],
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
  await waitFor(
    `the ${kind} worker to settle with ${cached} cached workflows`,
    async () => {
      const s = await (kind === 'lead' ? b.leadWorker : b.bareWorker).status();
      quietPolls =
        s.cachedWorkflows >= cached && s.inFlightActivations === 0 && s.inFlightActivities === 0 ? quietPolls + 1 : 0;
      return quietPolls >= 3;
    },
    300_000,
    200,
  );
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
          b.client.workflow.start(benchTimer, {
            taskQueue: b.bareQueue,
            workflowId: `bench-timer-${randomUUID()}`,
            args: [WAIT_72H],
          }),
        );
      },
    );
    made = target;
    await Promise.all([settled(b, 'lead', made), settled(b, 'bare', made)]);
    await sleep(500);
    const [lead, bare] = await Promise.all([b.leadWorker.collectGarbage(), b.bareWorker.collectGarbage()]);
    points.push({
      cases: made,
      leadCached: lead.cachedWorkflows,
      leadRss: lead.rss,
      leadHeap: lead.heapUsed,
      bareCached: bare.cachedWorkflows,
      bareRss: bare.rss,
      bareHeap: bare.heapUsed,
    });
    b.log(
      `  ${made} cases: lead worker ${(lead.rss / MB).toFixed(0)} MB RSS (${lead.cachedWorkflows} cached), bare worker ${(bare.rss / MB).toFixed(0)} MB (${bare.cachedWorkflows} cached)`,
    );
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
      id: 'memory_per_case',
      figure: `lead worker RSS per open case (${first} to ${top} cached)`,
      unit: 'MB/case',
      value: leadFit.slope,
      baselineLabel: 'bare workflow on a timer',
      baseline: bareFit.slope,
      ratio: r,
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
