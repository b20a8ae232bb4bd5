import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/platform/config';
import { LOCAL_APP_ROLE, migrateDatabase, openDatabase, withRole } from '../../src/platform/db/data-source';
import { seedDemoData } from '../../src/modules/reference/demo-seed';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres';
import { startTemporalDevServer } from '../../src/platform/temporal/dev-server';
import { ensureWorkflowBundle } from './workflow-bundle';

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/**
 * Starts the real servers the integration tests run against: an embedded PostgreSQL (migrated,
 * with the demo reference data) and a Temporal dev server with the search attributes registered.
 * Their addresses reach the test files through the environment; teardown stops both.
 */
export default async function stackSetup(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'lead-engine-it-'));
  chmodSync(root, 0o755); // as root, Postgres runs as the postgres user, who must reach its data folder
  const [pgPort, temporalPort] = [await freePort(), await freePort()];
  const [pg, temporal, bundle] = await Promise.all([
    startEmbeddedPostgres({ dataDir: join(root, 'pg'), port: pgPort, database: 'leads_test', persistent: false }),
    startTemporalDevServer({ port: temporalPort }),
    ensureWorkflowBundle(),
  ]);
  // As in production: migrations as the owner, the service (and the tests' own queries) as a
  // DML-only role; DATABASE_MIGRATION_URL lets a test act as the owner (a DBA) on purpose.
  const appUrl = withRole(pg.url, LOCAL_APP_ROLE.user, LOCAL_APP_ROLE.password);
  await migrateDatabase(pg.url, appUrl);
  const db = await openDatabase(appUrl, { audit: loadConfig({ ...process.env, NODE_ENV: 'test' }) });
  await seedDemoData(db);
  await db.destroy();

  process.env.DATABASE_URL = appUrl;
  process.env.DATABASE_MIGRATION_URL = pg.url;
  process.env.TEMPORAL_ADDRESS = temporal.address;
  process.env.WORKFLOW_BUNDLE_PATH = bundle;
  process.env.TEST_STACK_ROOT = root;
  (globalThis as Record<string, unknown>).__leadEngineStack = { pg, temporal };
}
