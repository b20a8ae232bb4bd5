/**
 * The bare-engine baselines of `npm run bench`: workflows that do nothing but what Temporal itself
 * must do. They are bundled for the bench's own worker and never run in the service.
 */
import {
  CancellationScope,
  condition,
  defineSignal,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';

/** Started and completed: one workflow task, no activity. The baseline of lead intake. */
export async function benchEmpty(): Promise<void> {
  // nothing: the cost measured is the start, one workflow task and the completion
}

export const benchNoopUpdate = defineUpdate<void, []>('benchNoop');
export const benchFinishSignal = defineSignal('benchFinish');

/** Waits for no-op Updates until told to finish. The baseline of a case action. */
export async function benchUpdatable(): Promise<void> {
  let finished = false;
  setHandler(benchNoopUpdate, () => undefined);
  setHandler(benchFinishSignal, () => {
    finished = true;
  });
  await condition(() => finished);
}

export const benchCaseLikeUpdate = defineUpdate<void, []>('benchCaseLike');

/** The bare worker's only activity: no I/O at all. */
export interface BenchActivities {
  benchWrite(): Promise<void>;
}
const bench = proxyLocalActivities<BenchActivities>({ startToCloseTimeout: '10 seconds' });
const DEADLINE_MS = 48 * 3_600_000;

/**
 * Waits for Updates that make the engine do what a contact attempt makes it do, and nothing of the
 * service: a local activity (that writes nothing), the case's deadline moved (its timer cancelled
 * and started again) and `SlaDueAt` upserted. The floor of figure 2 on this server.
 */
export async function benchCaseLike(): Promise<void> {
  let finished = false;
  let dueAt = Date.now() + DEADLINE_MS;
  let moved = false;
  setHandler(benchCaseLikeUpdate, async () => {
    await bench.benchWrite();
    dueAt = Date.now() + DEADLINE_MS;
    moved = true;
    upsertSearchAttributes({ SlaDueAt: [new Date(dueAt)] });
  });
  setHandler(benchFinishSignal, () => {
    finished = true;
  });
  while (!finished) {
    moved = false;
    await CancellationScope.cancellable(async () => {
      const deadline = sleep(dueAt - Date.now()).catch(() => undefined);
      await condition(() => moved || finished);
      CancellationScope.current().cancel();
      await deadline;
    });
  }
}

/** Waits on one timer, like a case waiting on its deadline. The baseline of worker memory per case. */
export async function benchTimer(waitMs: number): Promise<void> {
  await sleep(waitMs);
}
