import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ALL_SEARCH_ATTRIBUTES, searchAttributeFlags } from './search-attributes';
import { temporalCliPath } from './binaries';
import { startWebUiGateway, type RunningWebUiGateway } from './web-ui-gateway';

export interface DevServerOptions {
  port: number;
  /**
   * Web UI port; omit to run headless (tests). The UI is served there only through the read-only,
   * signed-in gateway (web-ui-gateway.ts); the dev server's own UI listens on an internal loopback port.
   */
  uiPort?: number;
  /** Required with uiPort: where the gateway sends browsers to sign in, and asks who a session is. */
  webUiSignIn?: { signInUrl: string; sessionCheckUrl: string };
  /** SQLite file that keeps cases between runs; omit for in-memory (tests). */
  dbFile?: string;
  /** Remote codec endpoint the Web UI calls to decode payloads. */
  codecEndpoint?: string;
  onOutput?: (line: string) => void;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev` with the project's search attributes registered, resolved from the
 * pinned binary; resolves once the frontend answers.
 */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  const baseArgs = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--log-level',
    'warn',
    ...searchAttributeFlags(),
  ];
  if (opts.uiPort && !opts.webUiSignIn)
    throw new Error('the Web UI is served only through its gateway: pass webUiSignIn with uiPort');
  const internalUiPort = opts.uiPort ? await loopbackFreePort() : null;
  const args = [...baseArgs, ...optionalArgs(opts, internalUiPort)];

  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  forwardOutput(child, opts, internalUiPort);

  const address = `127.0.0.1:${opts.port}`;
  await untilReady(child, address, opts.port, () => exited);
  const gateway =
    opts.uiPort && internalUiPort ? await startGateway(child, opts.uiPort, internalUiPort, opts.webUiSignIn!) : null;
  return {
    address,
    uiUrl: gateway ? gateway.url : null,
    process: child,
    stop: async () => {
      await gateway?.close();
      await stopChild(child);
    },
  };
}

/** The UI on its internal port (or none), the database file, the codec endpoint. */
function optionalArgs(opts: DevServerOptions, internalUiPort: number | null): string[] {
  const args: string[] = [];
  if (internalUiPort) args.push('--ui-ip', '127.0.0.1', '--ui-port', String(internalUiPort), '--ui-disable-news-fetch');
  else args.push('--headless');
  if (opts.dbFile) args.push('--db-filename', opts.dbFile);
  if (opts.codecEndpoint) args.push('--ui-codec-endpoint', opts.codecEndpoint);
  return args;
}

/** Passes the CLI's output on, line by line. */
function forwardOutput(child: ChildProcess, opts: DevServerOptions, internalUiPort: number | null): void {
  // The CLI's banner names the internal UI port; people are to use the gateway's.
  const shown = (l: string) =>
    internalUiPort && /Temporal UI:/.test(l)
      ? l.replace(`:${internalUiPort}`, `:${opts.uiPort} (read-only, sign-in at the API's /v1/session)`)
      : l;
  const forward = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((l) => opts.onOutput?.(shown(l)));
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
}

/** Waits for the frontend to answer (and registers missing search attributes); fails if the CLI exits or a minute passes. */
async function untilReady(
  child: ChildProcess,
  address: string,
  port: number,
  exitCode: () => number | null,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const exited = exitCode();
    if (exited !== null)
      throw new Error(`temporal dev server exited with code ${exited} before it was ready (is port ${port} free?)`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      await conn.workflowService.getSystemInfo({});
      await registerMissingSearchAttributes(conn);
      await conn.close();
      return;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not become ready on ${address}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The read-only, signed-in gateway in front of the UI; the dev server is stopped if it cannot listen. */
async function startGateway(
  child: ChildProcess,
  uiPort: number,
  internalUiPort: number,
  signIn: NonNullable<DevServerOptions['webUiSignIn']>,
): Promise<RunningWebUiGateway> {
  try {
    return await startWebUiGateway({ port: uiPort, upstream: { host: '127.0.0.1', port: internalUiPort }, ...signIn });
  } catch (err) {
    await stopChild(child);
    throw new Error(`the Web UI gateway could not listen on 127.0.0.1:${uiPort} (is it free?)`, { cause: err });
  }
}

/** A port free on loopback now (the dev server binds it a moment later). */
function loopbackFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * `--search-attribute` registers attributes only when the database file is new: a `.data/` kept from
 * an older version lacks the ones added since (e.g. ComplaintPriority, ComplaintState). Adds them.
 */
async function registerMissingSearchAttributes(conn: Connection, namespace = 'default'): Promise<void> {
  const types = temporal.api.enums.v1.IndexedValueType;
  const typeOf: Record<string, temporal.api.enums.v1.IndexedValueType> = {
    KEYWORD: types.INDEXED_VALUE_TYPE_KEYWORD,
    DATETIME: types.INDEXED_VALUE_TYPE_DATETIME,
    BOOL: types.INDEXED_VALUE_TYPE_BOOL,
    INT: types.INDEXED_VALUE_TYPE_INT,
  };
  const { customAttributes } = await conn.operatorService.listSearchAttributes({ namespace });
  const missing = ALL_SEARCH_ATTRIBUTES.filter((k) => !(k.name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  await conn.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((k) => [k.name, typeOf[k.type]!])),
  });
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
