import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { LOCAL_APP_ROLE, migrateDatabase, openDatabase, withRole } from '../../src/platform/db/data-source';
import { seedDemoData } from '../../src/modules/reference/demo-seed';
import { startTemporalDevServer, stopChild, type RunningDevServer } from '../../src/platform/temporal/dev-server';
import { freePort } from './stack-setup';
import { startStack, type TestStack } from './stack';
import { kill, spawnWorker } from './worker-process';

/**
 * Servers of one fault test, owned by that test alone so that it may stop, kill or restart them
 * without touching any other test: an embedded Postgres, a Temporal dev server, worker processes
 * and the API. Every child process is also killed if the test process exits without cleaning up.
 */

// Postgres processes get SIGTERM (they stop their server); the rest, SIGKILL.
const orphans = new Map<ChildProcess, NodeJS.Signals>();
process.once('exit', () => {
  for (const [child, signal] of orphans) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
});
const track = (child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') => {
  orphans.set(child, signal);
  child.once('exit', () => orphans.delete(child));
};

/** A Postgres that can be stopped and started again on the same data folder and port. */
export interface RestartablePostgres {
  /** The owner role's URL (migrations, a DBA). */
  url: string;
  /** The service's DML-only role's URL. */
  appUrl: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and deletes its data. */
  destroy(): Promise<void>;
}

const projectRoot = join(__dirname, '..', '..');

/** Runs test/support/postgres-process.ts; resolves with the process once Postgres accepts connections. */
function launchPostgres(
  dataDir: string,
  port: number,
  durable: boolean,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(projectRoot, 'test/support/postgres-process.ts'),
      dataDir,
      String(port),
      'leads_faults',
      durable ? '1' : '0',
    ],
    {
      cwd: projectRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  track(child, 'SIGTERM');
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /^ready (\S+)$/m.exec(output);
      if (ready) resolve({ child, url: ready[1] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`postgres process exited (${code}) before it was ready:\n${output.slice(-2000)}`)),
    );
  });
}

/**
 * An embedded Postgres under `dir`, in a process of its own, migrated and seeded with the demo
 * reference data. `durable` keeps its data (and fsync) when stopped, for a test that restarts it;
 * otherwise it trades durability for speed, as the shared test stack does.
 */
export async function startRestartablePostgres(dir: string, opts: { durable: boolean }): Promise<RestartablePostgres> {
  let port = await freePort();
  const dataDir = join(dir, 'pg');
  let running: ChildProcess | null = null;
  const start = async () => {
    if (running) return;
    const launched = await launchPostgres(dataDir, port, opts.durable);
    running = launched.child;
    return launched.url;
  };
  const stopProcess = async () => {
    if (running) await stopChild(running, 60_000);
    running = null;
  };
  // The port is picked seconds before Postgres binds it (after initdb), and an outgoing connection
  // may take it meanwhile: the first start then tries another. A restart keeps the port it has.
  let url: string;
  for (let attempt = 1; ; attempt++) {
    try {
      url = (await start())!;
      break;
    } catch (err) {
      if (attempt >= 3 || !/Address already in use/.test((err as Error).message)) throw err;
      port = await freePort();
    }
  }
  try {
    await migrateDatabase(url, withRole(url, LOCAL_APP_ROLE.user, LOCAL_APP_ROLE.password));
    const db = await openDatabase(url, { audit: null });
    try {
      await seedDemoData(db);
    } finally {
      await db.destroy();
    }
  } catch (err) {
    await stopProcess();
    throw err;
  }
  return {
    url,
    appUrl: withRole(url, LOCAL_APP_ROLE.user, LOCAL_APP_ROLE.password),
    async stop() {
      if (!opts.durable) throw new Error('a Postgres started without durable: true loses its data when stopped');
      await stopProcess();
    },
    async start() {
      await start();
    },
    async destroy() {
      await stopProcess();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A Temporal dev server that can be stopped and started again, on its SQLite file when it has one. */
export interface RestartableTemporal {
  address: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startRestartableTemporal(dir: string, opts: { dbFile: boolean }): Promise<RestartableTemporal> {
  const port = await freePort();
  const options = { port, dbFile: opts.dbFile ? join(dir, 'temporal.sqlite') : undefined };
  const launch = async () => {
    const server = await startTemporalDevServer(options);
    track(server.process);
    return server;
  };
  let running: RunningDevServer | null = await launch();
  return {
    address: running.address,
    async stop() {
      if (!opts.dbFile) throw new Error('a dev server without a database file loses every workflow when stopped');
      await running?.stop();
      running = null;
    },
    async start() {
      if (!running) running = await launch();
    },
    async destroy() {
      await running?.stop();
      running = null;
    },
  };
}

export interface FaultStack {
  pg: RestartablePostgres;
  temporal: RestartableTemporal;
  /** The API in this process (worker: false), with a client to Temporal and a pool to Postgres. */
  app: TestStack;
  /** What the API logged at level error (each request that failed with a 5xx), one JSON line each. */
  apiErrors: string[];
  /** Starts the real worker entry point as a child process and waits until it polls. */
  startWorker(): Promise<ChildProcess>;
  stop(): Promise<void>;
}

/**
 * Starts Postgres and a Temporal dev server of the test's own, and the API against them. Workers
 * are child processes (`startWorker`), so a test can SIGKILL one. `stop` cleans everything up and
 * is safe to call after a partial start or a failed test.
 */
export async function startFaultStack(
  opts: { durablePostgres?: boolean; temporalDbFile?: boolean; env?: Record<string, string> } = {},
): Promise<FaultStack> {
  const dir = mkdtempSync(join(tmpdir(), 'lead-engine-faults-'));
  chmodSync(dir, 0o755); // as root, Postgres runs as the postgres user, who must reach its data folder
  const cleanups: (() => Promise<void>)[] = [];
  const workers: ChildProcess[] = [];
  const stop = async () => {
    for (const w of workers) await kill(w, 'SIGKILL');
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((err: Error) => console.error(`fault stack cleanup: ${err.message}`));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Both start at once; whichever started is cleaned up even when the other failed.
    const [pgStarted, temporalStarted] = await Promise.allSettled([
      startRestartablePostgres(dir, { durable: opts.durablePostgres ?? false }),
      startRestartableTemporal(dir, { dbFile: opts.temporalDbFile ?? false }),
    ]);
    if (pgStarted.status === 'fulfilled') cleanups.push(() => pgStarted.value.destroy());
    if (temporalStarted.status === 'fulfilled') cleanups.push(() => temporalStarted.value.destroy());
    if (pgStarted.status === 'rejected') throw pgStarted.reason;
    if (temporalStarted.status === 'rejected') throw temporalStarted.reason;
    const [pg, temporal] = [pgStarted.value, temporalStarted.value];
    const apiErrors: string[] = [];
    const app = await startStack(
      {
        DATABASE_URL: pg.appUrl,
        DATABASE_MIGRATION_URL: pg.url,
        TEMPORAL_ADDRESS: temporal.address,
        RATE_LIMIT_PER_MINUTE: '1000000',
        ...opts.env,
      },
      {
        worker: false,
        logger: pino({ name: 'api', level: 'error' }, { write: (line: string) => apiErrors.push(line) }),
      },
    );
    cleanups.push(() => app.stop());
    return {
      pg,
      temporal,
      app,
      apiErrors,
      stop,
      async startWorker() {
        const { child, ready } = spawnWorker(app.cfg);
        track(child);
        workers.push(child);
        await ready;
        return child;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the items' order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
