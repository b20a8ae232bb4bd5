import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../platform/config';
import { LOCAL_APP_ROLE, migrateDatabase, openDatabase, withRole } from '../platform/db/data-source';
import { seedDemoData } from '../modules/reference/demo-seed';
import { reachableDataDir, startEmbeddedPostgres, type RunningPostgres } from '../platform/db/embedded-postgres';
import { projectRoot } from '../platform/temporal/binaries';
import { startTemporalDevServer, stopChild, type RunningDevServer } from '../platform/temporal/dev-server';

/**
 * `npm run dev`: the whole system on embedded defaults. Temporal's dev server (Web UI on :8233,
 * SQLite under .data/), an embedded PostgreSQL (data under .data/), migrations, demo data, then the
 * worker and the API as child processes with labelled logs. TEMPORAL_ADDRESS or DATABASE_URL, when
 * set, are used instead of starting the embedded part. Ctrl-C stops everything.
 */
const dataRoot = process.env.DEV_DATA_DIR ?? join(projectRoot, '.data');
const TEMPORAL_PORT = Number(process.env.DEV_TEMPORAL_PORT ?? 7233);
const UI_PORT = Number(process.env.DEV_TEMPORAL_UI_PORT ?? 8233);
const PG_PORT = Number(process.env.DEV_POSTGRES_PORT ?? 54320);

const colours = { temporal: 35, postgres: 34, worker: 33, api: 32, dev: 36 } as const;
const say = (who: keyof typeof colours, line: string) =>
  process.stdout.write(`\x1b[${colours[who]}m${who.padEnd(8)}\x1b[0m| ${line}\n`);

const stops: (() => Promise<void>)[] = [];
let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  say('dev', 'stopping…');
  for (const stop of stops.reverse()) await stop().catch((e) => say('dev', `stop failed: ${(e as Error).message}`));
  say('dev', 'stopped');
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGHUP', () => void shutdown(0));

/** The API as this process reaches it: loopback when it listens on every interface. */
function apiFromHere(host: string | undefined, port: number): string {
  const h = !host || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

async function main() {
  const cfg = loadConfig(); // fail fast, naming any bad variable
  mkdirSync(dataRoot, { recursive: true });
  const { temporalAddress, temporal } = await provideTemporal(cfg);
  const { databaseUrl: givenUrl, pg } = await providePostgres();
  const databaseUrl = await prepareDatabase(givenUrl, pg);

  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    DATABASE_URL: databaseUrl,
    LOG_PRETTY: '1',
    FORCE_COLOR: '1',
    // The one local worker creates the schedules as it starts (production leaves it to a job).
    TEMPORAL_CREATE_SCHEDULES: process.env.TEMPORAL_CREATE_SCHEDULES || 'true',
  };
  delete childEnv.DATABASE_MIGRATION_URL;
  runChild('worker', 'src/worker/main.ts', childEnv);
  runChild('api', 'src/api/main.ts', childEnv);
  printBanner(cfg, temporalAddress, temporal, databaseUrl);
}

/** Temporal's dev server, unless TEMPORAL_ADDRESS names a cluster to use instead. */
async function provideTemporal(cfg: Config): Promise<{ temporalAddress: string; temporal: RunningDevServer | null }> {
  const given = process.env.TEMPORAL_ADDRESS;
  if (given) {
    say('temporal', `using ${given} (TEMPORAL_ADDRESS)`);
    return { temporalAddress: given, temporal: null };
  }
  say('temporal', `starting dev server (SQLite at ${join(dataRoot, 'temporal.sqlite')})`);
  const temporal = await startTemporalDevServer({
    port: TEMPORAL_PORT,
    uiPort: UI_PORT,
    dbFile: join(dataRoot, 'temporal.sqlite'),
    // The Web UI decodes payloads through the API; a manager signs in at /v1/session first. The
    // UI is served read-only through a gateway that admits only that signed-in manager.
    codecEndpoint: `http://localhost:${cfg.API_PORT}/v1/codec`,
    webUiSignIn: {
      signInUrl: `http://localhost:${cfg.API_PORT}/v1/session`,
      sessionCheckUrl: `${apiFromHere(cfg.API_HOST, cfg.API_PORT)}/v1/session/current`,
    },
    onOutput: (l) => say('temporal', l),
  });
  stops.push(() => temporal.stop());
  return { temporalAddress: temporal.address, temporal };
}

/** An embedded PostgreSQL, unless DATABASE_URL names a database to use instead. */
async function providePostgres(): Promise<{ databaseUrl: string; pg: RunningPostgres | null }> {
  const given = process.env.DATABASE_URL;
  if (given) {
    say('postgres', 'using DATABASE_URL');
    return { databaseUrl: given, pg: null };
  }
  const { dir, movedBecause } = reachableDataDir(join(dataRoot, 'postgres'));
  if (movedBecause) say('postgres', `data folder ${dir} (${movedBecause})`);
  say('postgres', `starting embedded PostgreSQL on port ${PG_PORT}`);
  const pg = await startEmbeddedPostgres({
    dataDir: dir,
    port: PG_PORT,
    database: 'leads',
    persistent: true,
    ownSignals: true,
    onLog: (l) => process.env.DEV_VERBOSE && say('postgres', l),
  });
  stops.push(() => pg.stop());
  return { databaseUrl: pg.url, pg };
}

/** Migrates and seeds; returns the URL the worker and the API connect with. */
async function prepareDatabase(givenUrl: string, pg: RunningPostgres | null): Promise<string> {
  // Migrations run as the owner; the worker and the API log in as a DML-only role of their own.
  const ownerUrl = pg ? pg.url : process.env.DATABASE_MIGRATION_URL || givenUrl;
  const databaseUrl = pg ? withRole(pg.url, LOCAL_APP_ROLE.user, LOCAL_APP_ROLE.password) : givenUrl;
  const { appRole } = await migrateDatabase(ownerUrl, databaseUrl);
  const db = await openDatabase(databaseUrl);
  await seedDemoData(db);
  await db.destroy();
  say(
    'postgres',
    `migrations applied, [DEMO] reference data present; the service connects as ${appRole ?? 'the owner (set DATABASE_MIGRATION_URL)'}`,
  );
  return databaseUrl;
}

/** A child process with labelled logs; its exit, unless we are stopping, stops the rest. */
function runChild(who: 'worker' | 'api', entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, entry)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const forward = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((l) => say(who, l));
  child.stdout!.on('data', forward);
  child.stderr!.on('data', forward);
  child.once('exit', (code, signal) => {
    if (!shuttingDown) {
      say(who, `exited (${signal ?? code}); stopping the rest`);
      void shutdown(1);
    }
  });
  stops.push(() => stopChild(child, 15_000));
  return child;
}

function printBanner(
  cfg: Config,
  temporalAddress: string,
  temporal: RunningDevServer | null,
  databaseUrl: string,
): void {
  const api = `http://localhost:${cfg.API_PORT}`;
  say('dev', '');
  say('dev', `API        ${api}/v1      (health ${api}/healthz, readiness ${api}/readyz)`);
  say('dev', `Web UI     ${temporal?.uiUrl ?? "(your cluster's UI)"}      workflows, search attributes, schedules`);
  say('dev', `Temporal   ${temporalAddress}   Postgres ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`);
  say('dev', `API docs   ${api}/docs   (OpenAPI at ${api}/openapi.json)`);
  say('dev', 'A token:   npm run token -- --role manager --sub m1');
  say('dev', `Web UI sign-in (read-only; managers and compliance): ${api}/v1/session with a manager token`);
  say('dev', 'Ctrl-C stops everything.');
}

main().catch((err) => {
  process.stderr.write(`npm run dev failed: ${(err as Error).message}\n`);
  void shutdown(1);
});
