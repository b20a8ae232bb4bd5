/**
 * The service's HTTP API as a process of the bench: the same app as src/api/main.ts, on a free
 * port, answering the bench's status requests and exiting when the bench goes away.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/api/app';
import { config } from '../src/platform/config';
import { openDatabase } from '../src/platform/db/data-source';
import { createLogger } from '../src/platform/logger';
import { connectClient } from '../src/platform/temporal/connection';
import { reportFailure, serveParent, type ChildMessage } from './child-protocol';

async function main(): Promise<void> {
  const cfg = config();
  const logger = createLogger('api', cfg.LOG_LEVEL, false);
  const db = await openDatabase(cfg.DATABASE_URL, { poolMax: cfg.DATABASE_POOL_MAX });
  const temporal = await connectClient(cfg);
  const server = createServer(createApp({ cfg, db, temporal, logger }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => {
      void Promise.allSettled([temporal.connection.close(), db.destroy()]).then(() => process.exit(0));
    });
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  serveParent(() => ({ cachedWorkflows: 0, inFlightActivations: 0, inFlightActivities: 0 }), stop);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port } satisfies ChildMessage);
}

main().catch(reportFailure);
