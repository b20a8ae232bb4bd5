import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** What the bench asks its child processes (the API, the workers) over the IPC channel. */
export type ChildRequest = { id: number; type: 'status' } | { id: number; type: 'gc' };

export interface ChildStatus {
  /** Resident set size of the whole process (Node, V8 and the Rust core of the SDK), bytes. */
  rss: number;
  heapUsed: number;
  /** Workflow runs in the worker's cache (0 for the API). */
  cachedWorkflows: number;
  inFlightActivations: number;
  inFlightActivities: number;
}

export type ChildMessage =
  | { type: 'ready'; port?: number }
  | { type: 'reply'; id: number; status: ChildStatus }
  | { type: 'failed'; message: string };

export interface BenchChild {
  name: string;
  process: ChildProcess;
  port?: number;
  status(): Promise<ChildStatus>;
  /** Runs V8's garbage collector twice (the child runs with --expose-gc), then answers the status. */
  collectGarbage(): Promise<ChildStatus>;
  stop(): Promise<void>;
}

/**
 * Starts `entry` (a .ts file under bench/) as a Node child with tsx and an IPC channel, passing
 * `config` as JSON in BENCH_CHILD_CONFIG; resolves once it says it is ready. A child exits by
 * itself when the bench goes away (the IPC channel closes), so no process outlives a crash.
 */
export async function startChild(
  name: string,
  entry: string,
  config: object,
  env: NodeJS.ProcessEnv = {},
): Promise<BenchChild> {
  // BENCH_CPU_PROF=<folder>: each child writes a V8 CPU profile there when it exits (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${join(process.env.BENCH_CPU_PROF, name.replace(/\W+/g, '-'))}`]
    : [];
  const child = fork(join(__dirname, entry), [], {
    execArgv: ['--expose-gc', ...profile, '--import', 'tsx'],
    env: { ...process.env, ...env, BENCH_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);

  let nextId = 1;
  const pending = new Map<number, { resolve: (s: ChildStatus) => void; reject: (e: Error) => void }>();
  const ready = new Promise<number | undefined>((resolve, reject) => {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve(m.port);
      else if (m.type === 'failed') reject(new Error(`${name} failed: ${m.message}`));
      else if (m.type === 'reply') {
        pending.get(m.id)?.resolve(m.status);
        pending.delete(m.id);
      }
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`${name} exited (${signal ?? code}) before it was ready:\n${tail}`)),
    );
  });
  child.once('exit', (code, signal) => {
    for (const { reject } of pending.values()) reject(new Error(`${name} exited (${signal ?? code})`));
    pending.clear();
  });

  const ask = (type: ChildRequest['type']) =>
    new Promise<ChildStatus>((resolve, reject) => {
      if (!child.connected) return reject(new Error(`${name} is not running:\n${tail}`));
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, type } satisfies ChildRequest);
    });

  let port: number | undefined;
  try {
    port = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    name,
    process: child,
    port,
    status: () => ask('status'),
    collectGarbage: () => ask('gc'),
    stop: () => stopProcess(child),
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export function stopProcess(child: ChildProcess, graceMs = 15_000): Promise<void> {
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

/** The child side: answers status and gc requests, and exits when the bench is gone. */
export function serveParent(current: () => Omit<ChildStatus, 'rss' | 'heapUsed'>, onParentGone: () => void): void {
  const snapshot = (): ChildStatus => {
    const mem = process.memoryUsage();
    return { rss: mem.rss, heapUsed: mem.heapUsed, ...current() };
  };
  process.on('message', (m: ChildRequest) => {
    if (m.type === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
    }
    process.send?.({ type: 'reply', id: m.id, status: snapshot() } satisfies ChildMessage);
  });
  process.once('disconnect', onParentGone);
}

export function childConfig<T>(): T {
  const raw = process.env.BENCH_CHILD_CONFIG;
  if (!raw) throw new Error('BENCH_CHILD_CONFIG is not set: this file is started by the bench');
  return JSON.parse(raw) as T;
}

export function reportFailure(err: unknown): never {
  process.send?.({ type: 'failed', message: (err as Error).stack ?? String(err) } satisfies ChildMessage);
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
}
