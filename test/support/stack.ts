import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, type Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createApp } from '../../src/api/app';
import { signToken, type Actor } from '../../src/platform/http/auth';
import { loadConfig, type Config } from '../../src/platform/config';
import { openDatabase } from '../../src/platform/db/data-source';
import { createLogger, type Logger } from '../../src/platform/logger';
import { createLeadWorker } from '../../src/worker/worker';
import { dataConverterFor } from '../../src/platform/temporal/connection';

let runtimeInstalled = false;

export interface TestStack {
  cfg: Config;
  db: DataSource;
  client: Client;
  worker: Worker | null;
  baseUrl: string;
  /** Calls the API as `actor`; returns status, headers and parsed JSON body. */
  api(
    actor: Actor | null,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse>;
  stop(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * The real service for one test file: a worker on its own task queue and the Express API on an
 * ephemeral port, both against the Postgres and Temporal dev server of the global setup.
 */
export async function startStack(
  env: Record<string, string> = {},
  opts: { worker?: boolean; apiPort?: number; logger?: Logger } = {},
): Promise<TestStack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const cfg = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    TEMPORAL_TASK_QUEUE: `lead-cases-${randomUUID()}`,
    // Each test file its own rate-limit counters on the shared database (its variants share them).
    RATE_LIMIT_SCOPE: `test-${randomUUID()}`,
    ...env,
  });
  const db = await openDatabase(cfg.DATABASE_URL, { poolMax: 20, audit: cfg });
  const connection = await Connection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(cfg) });
  const nativeConnection = await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS });
  const worker =
    opts.worker === false
      ? null
      : await createLeadWorker({
          cfg,
          db,
          connection: nativeConnection,
          workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH,
        });
  const running = worker?.run() ?? Promise.resolve();

  const app = createApp({ cfg, db, temporal: client, logger: opts.logger ?? createLogger('api-test', 'silent') });
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(opts.apiPort ?? 0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const api: TestStack['api'] = async (actor, method, path, body, headers = {}) => {
    const auth: Record<string, string> = actor ? { authorization: `Bearer ${await signToken(cfg, actor)}` } : {};
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...auth, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };

  return {
    cfg,
    db,
    client,
    worker,
    baseUrl,
    api,
    async stop() {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      worker?.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await db.destroy();
    },
  };
}

/**
 * A connection as the owner role that ran the migrations (a DBA, to the service): for a test that
 * sets up what the service's own role may not do, or plays an insider. It carries no audit key.
 */
export function openOwnerDatabase(): Promise<DataSource> {
  const url = process.env.DATABASE_MIGRATION_URL;
  if (!url) throw new Error('DATABASE_MIGRATION_URL is not set (test/support/stack-setup.ts sets it)');
  return openDatabase(url, { poolMax: 2, audit: null });
}

/** Polls `check` until it returns a truthy value (for what happens asynchronously in a workflow). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A Temporal client whose server is not there (nothing listens on port 1). */
export const unreachableTemporal = (): Client =>
  new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });

/**
 * The stack's API served on a port of its own with some of its parts swapped (a database that
 * fails at COMMIT, an unreachable Temporal). `call` sends a request as `actor`; `close` stops the
 * server and closes a swapped-in Temporal client.
 */
export async function serveVariant(stack: TestStack, parts: { db?: DataSource; temporal?: Client }) {
  const temporal = parts.temporal ?? stack.client;
  const server = createServer(
    createApp({ cfg: stack.cfg, db: parts.db ?? stack.db, temporal, logger: createLogger('variant', 'silent') }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async call(
      actor: Actor,
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ): Promise<ApiResponse> {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await signToken(stack.cfg, actor)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
    async close() {
      server.close();
      server.closeAllConnections();
      if (temporal.connection !== stack.client.connection) await temporal.connection.close().catch(() => undefined);
    },
  };
}
