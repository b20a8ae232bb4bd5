import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/db/data-source';
import { seedDemoData } from '../../src/db/seed';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres';
import { startTemporalDevServer } from '../../src/infra/temporal-dev-server';
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
  const db = await openDatabase(pg.url, { migrate: true });
  await seedDemoData(db);
  await db.destroy();

  process.env.DATABASE_URL = pg.url;
  process.env.TEMPORAL_ADDRESS = temporal.address;
  process.env.WORKFLOW_BUNDLE_PATH = bundle;
  process.env.TEST_STACK_ROOT = root;
  (globalThis as Record<string, unknown>).__leadEngineStack = { pg, temporal };
}
