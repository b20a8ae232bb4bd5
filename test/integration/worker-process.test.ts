import type { ChildProcess } from 'node:child_process';
import { freePort } from '../support/stack-setup';
import { SCHEDULES } from '../../src/modules/maintenance/schedules';
import { eventually, startStack, type TestStack } from '../support/stack';
import { kill, spawnWorker } from '../support/worker-process';

/**
 * The real worker process (src/worker/main.ts) as production runs it: the Temporal SDK's metrics
 * for Prometheus, the health endpoint, and no schedules written at start when the schedules job
 * owns them.
 */
let stack: TestStack;
let child: ChildProcess | undefined;
let output = '';
let metricsPort: number;
let healthPort: number;
let maintenanceQueue: string;

beforeAll(async () => {
  stack = await startStack({}, { worker: false });
  [metricsPort, healthPort] = [await freePort(), await freePort()];
  maintenanceQueue = `${stack.cfg.TEMPORAL_TASK_QUEUE}-maintenance`;
  const spawned = spawnWorker(stack.cfg, {
    WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    WORKER_HEALTH_PORT: String(healthPort),
    TEMPORAL_CREATE_SCHEDULES: 'false',
  });
  child = spawned.child;
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await spawned.ready;
});
afterAll(async () => {
  if (child) await kill(child, 'SIGKILL');
  await stack?.stop();
});

const health = async () => {
  const res = await fetch(`http://127.0.0.1:${healthPort}/healthz`);
  return { status: res.status, body: (await res.json()) as { status: string; workers: Record<string, string> } };
};

test('the health endpoint answers 200 once both workers run', async () => {
  const ok = await eventually(async () => {
    const h = await health();
    return h.status === 200 ? h : null;
  }, 'a healthy worker');
  expect(ok.body).toEqual({ status: 'ok', workers: { lead: 'RUNNING', maintenance: 'RUNNING' } });
});

test('the worker exports the Temporal SDK metrics for Prometheus, labelled by task queue', async () => {
  const text = await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const body = await res.text();
    return res.status === 200 && /^temporal_worker_task_slots_available\{/m.test(body) ? body : null;
  }, 'temporal_ metrics');
  // What the workers are scaled by: free slots per worker type, pollers, and (once tasks run) schedule-to-start latency.
  expect(text).toMatch(/^temporal_worker_task_slots_available\{[^}]*worker_type="WorkflowWorker"/m);
  expect(text).toMatch(/^temporal_num_pollers\{/m);
  const queue = stack.cfg.TEMPORAL_TASK_QUEUE.replace(/[-]/g, '\\-');
  expect(text).toMatch(new RegExp(`^temporal_\\w+\\{[^}]*task_queue="${queue}"`, 'm'));
});

test('with TEMPORAL_CREATE_SCHEDULES=false the worker leaves the schedules to the schedules job', async () => {
  expect(output).toContain('schedules left to the schedules job');
  expect(output).not.toContain('schedules created');
  for (const s of SCHEDULES) {
    const taskQueue = await stack.client.schedule
      .getHandle(s.scheduleId)
      .describe()
      .then((d) => (d.action.type === 'startWorkflow' ? d.action.taskQueue : undefined))
      .catch(() => undefined); // no schedule at all: nothing was created
    expect(taskQueue).not.toBe(maintenanceQueue);
  }
});

test('on SIGTERM the worker drains, its health endpoint closes, and it exits cleanly', async () => {
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child!.kill('SIGTERM');
  expect(await exited).toBe(0);
  await expect(fetch(`http://127.0.0.1:${healthPort}/healthz`)).rejects.toThrow();
  child = undefined;
});
