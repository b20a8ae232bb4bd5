import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Config } from '../../src/platform/config';

const root = join(__dirname, '..', '..');

/** The real worker entry point (src/worker/main.ts) as its own process, so a test can SIGKILL it. */
export function spawnWorker(
  cfg: Config,
  extraEnv: Record<string, string> = {},
): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/worker/main.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: cfg.DATABASE_URL,
      TEMPORAL_ADDRESS: cfg.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: cfg.TEMPORAL_TASK_QUEUE,
      TEMPORAL_MAINTENANCE_TASK_QUEUE: `${cfg.TEMPORAL_TASK_QUEUE}-maintenance`,
      POLICY_FILE: cfg.POLICY_FILE ?? '',
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      // Several workers share this host: no fixed metrics or health ports unless a test asks for them.
      WORKER_METRICS_ADDRESS: '',
      WORKER_HEALTH_PORT: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker started')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`worker exited (${code}) before it was ready:\n${output.slice(-2000)}`)),
    );
  });
  return { child, ready };
}

export function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
