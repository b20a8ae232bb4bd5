import { performance } from 'node:perf_hooks';

export interface PoolRun {
  elapsedMs: number;
  /** Duration of each task, ms, in the order they finished. */
  latencies: number[];
}

/**
 * Runs `task(0..total-1)` with at most `concurrency` in flight; resolves when all have finished.
 * The first failure stops the run and is thrown.
 */
export async function runPool(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<PoolRun> {
  const latencies: number[] = [];
  let next = 0;
  let failure: unknown = null;
  const started = performance.now();
  const lane = async () => {
    while (failure === null && next < total) {
      const i = next++;
      const t0 = performance.now();
      try {
        await task(i);
      } catch (err) {
        failure ??= err;
        return;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, lane));
  if (failure !== null) throw failure;
  return { elapsedMs: performance.now() - started, latencies };
}

/** Polls `check` every `everyMs` until it returns true; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 300_000,
  everyMs = 20,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
