/**
 * The bare-engine baselines of `npm run bench`: workflows that do nothing but what Temporal itself
 * must do. They are bundled for the bench's own worker and never run in the service.
 */
import { condition, defineSignal, defineUpdate, setHandler, sleep } from '@temporalio/workflow';

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

/** Waits on one timer, like a case waiting on its deadline. The baseline of worker memory per case. */
export async function benchTimer(waitMs: number): Promise<void> {
  await sleep(waitMs);
}
