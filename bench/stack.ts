import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../src/worker/workflow-code';
import { LOCAL_APP_ROLE, migrateDatabase, openDatabase, withRole } from '../src/platform/db/data-source';
import { seedDemoData } from '../src/modules/reference/demo-seed';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres';
import { startTemporalDevServer } from '../src/platform/temporal/dev-server';

export interface BenchServers {
  /** The service's DML-only role, as in production. */
  databaseUrl: string;
  /** The owner role that ran the migrations (for a database of the bench's own). */
  ownerUrl: string;
  temporalAddress: string;
  /** Where the servers came from, for the report. */
  description: string;
  /** The bench's temporary folder: bundles, the policy file, embedded Postgres data. */
  dir: string;
  leadBundle: string;
  bareBundle: string;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const quiet = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => process.stderr.write(`${m}\n`),
};

async function bundle(
  options: { workflowsPath: string; workflowInterceptorModules?: string[] },
  out: string,
): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...options, logger: quiet });
  writeFileSync(out, code);
  return out;
}

/**
 * The servers of a bench run. Like the integration tests' setup: an embedded PostgreSQL (migrated,
 * with the demo reference data) and a headless Temporal dev server (in-memory SQLite), on free
 * ports. DATABASE_URL or TEMPORAL_ADDRESS, when set, are used instead (that database is migrated
 * and seeded too: use a disposable one). Also bundles the service's and the bench's workflows.
 * `onStop` receives each stop as soon as its server runs, so Ctrl-C during start-up cleans up too.
 */
export async function startServers(onStop: (stop: () => Promise<void>) => void): Promise<BenchServers> {
  const dir = mkdtempSync(join(tmpdir(), 'lead-engine-bench-'));
  chmodSync(dir, 0o755); // as root, Postgres runs as the postgres user, who must reach its data folder
  onStop(async () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

  const description: string[] = [];
  const postgres = async () => {
    if (process.env.DATABASE_URL) {
      description.push('Postgres from DATABASE_URL');
      return process.env.DATABASE_URL;
    }
    const pg = await startEmbeddedPostgres({
      dataDir: join(dir, 'pg'),
      port: await freePort(),
      database: 'leads_bench',
      persistent: false,
    });
    onStop(() => pg.stop());
    description.push('embedded PostgreSQL (fsync off)');
    return pg.url;
  };
  const temporal = async () => {
    if (process.env.TEMPORAL_ADDRESS) {
      description.push(`Temporal at ${process.env.TEMPORAL_ADDRESS}`);
      return process.env.TEMPORAL_ADDRESS;
    }
    const server = await startTemporalDevServer({ port: await freePort() });
    onStop(() => server.stop());
    description.push('Temporal dev server (in-memory SQLite)');
    return server.address;
  };
  const [ownerOrAppUrl, temporalAddress, leadBundle, bareBundle] = await Promise.all([
    postgres(),
    temporal(),
    bundle(workflowBundleOptions, join(dir, 'lead-workflows.js')),
    bundle({ workflowsPath: require.resolve('./workflows') }, join(dir, 'bench-workflows.js')),
  ]);
  // Migrations as the owner, the service as a DML-only role: the audited writes measured are those
  // of production. With DATABASE_URL set, DATABASE_MIGRATION_URL names its owner if it is another role.
  const ownerUrl = process.env.DATABASE_URL ? process.env.DATABASE_MIGRATION_URL || ownerOrAppUrl : ownerOrAppUrl;
  const databaseUrl = process.env.DATABASE_URL
    ? ownerOrAppUrl
    : withRole(ownerOrAppUrl, LOCAL_APP_ROLE.user, LOCAL_APP_ROLE.password);
  await migrateDatabase(ownerUrl, databaseUrl);
  const db = await openDatabase(databaseUrl);
  try {
    await seedDemoData(db);
  } finally {
    await db.destroy();
  }
  return { databaseUrl, ownerUrl, temporalAddress, description: description.join(', '), dir, leadBundle, bareBundle };
}
