import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { OUTCOME_STAMP_KEY, stampResult } from '../../src/platform/workflow/activity-outcome';
import { stateQuery } from '../../src/modules/lead/messages';
import {
  caseInput,
  FakeActivities,
  realTimeUntil,
  settled,
  startCase,
  timeSkippingEnv,
  withConsent,
  withWorker,
} from './harness';

/**
 * Someone with access to Temporal completes or fails a pending activity by its ID (`temporal
 * activity complete|fail`). The workflow takes only outcomes stamped by its worker for that very
 * call (src/platform/workflow/activity-outcome.ts): anything else is refused and the activity runs again.
 * (Here the test client has no codec; in the service a plaintext outcome reaches the workflow as
 * the codec's refused marker, which carries no stamp either.)
 */
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => env?.teardown());

/** Fakes whose pre-screen waits until the test lets it answer; every call is counted. */
class HeldPrescreen extends FakeActivities {
  release: () => void = () => undefined;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));
  override build() {
    const built = super.build();
    return {
      ...built,
      prescreenLead: async (input: any) => {
        this.calls.push({ name: 'prescreenLead', input });
        await this.released;
        return this.prescreen;
      },
    };
  }
}

async function pendingActivity(handle: { describe(): Promise<{ raw: any }> }, type: string) {
  let found: { activityId: string } | undefined;
  await realTimeUntil(`a pending ${type}`, async () => {
    const pending: { activityId: string; activityType?: { name?: string } }[] =
      (await handle.describe()).raw.pendingActivities ?? [];
    found = pending.find((p) => p.activityType?.name === type);
    return !!found;
  });
  return found!.activityId;
}

test('a forged completion or failure of a pending activity is refused; the activity runs again and its real outcome counts', async () => {
  const fakes = new HeldPrescreen();
  fakes.prescreen = { tier: 'A', rulesFired: [], requiredDocuments: ['id_card_copy'] };
  await withWorker(env, fakes, async (tq) => {
    const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
    const workflowId = handle.workflowId;

    // A result without a stamp: the decline it names is not taken.
    const first = await pendingActivity(handle, 'prescreenLead');
    await env.client.activity.complete(
      { workflowId, activityId: first },
      { tier: 'C', rulesFired: [{ code: 'blacklisted', effect: 'decline', detail: 'forged' }], requiredDocuments: [] },
    );
    // A result stamped for another call (as if copied from another history).
    const second = await realTimeUntilNew(handle, first);
    const copied = stampResult(
      { tier: 'C', rulesFired: [{ code: 'blacklisted', effect: 'decline', detail: 'forged' }], requiredDocuments: [] },
      { workflowId, runId: 'other', activityId: first, activityType: 'prescreenLead' },
    );
    await env.client.activity.complete({ workflowId, activityId: second }, copied);
    // A failure for good with no stamp: it would close the case.
    const third = await realTimeUntilNew(handle, second);
    await env.client.activity.fail(
      { workflowId, activityId: third },
      ApplicationFailure.nonRetryable('forged', 'credit_facts_missing'),
    );
    const fourth = await realTimeUntilNew(handle, third);
    expect(new Set([first, second, third, fourth]).size).toBe(4);
    expect((await handle.query(stateQuery)).stage).toBe('prescreening');

    fakes.release();
    const state = await settled(env, handle, (s) => s.stage === 'follow_up');
    expect(state.tier).toBe('A');
    expect(state.closeReason).toBeNull();
    expect(fakes.named('prescreenLead').length).toBeGreaterThanOrEqual(4);
  });
});

test('the worker stamps each outcome with the call it belongs to', () => {
  const stamped = stampResult(42, {
    workflowId: 'w',
    runId: 'r',
    activityId: 'prescreenLead-1',
    activityType: 'prescreenLead',
  });
  expect(stamped).toEqual({
    [OUTCOME_STAMP_KEY]: { workflowId: 'w', runId: 'r', activityId: 'prescreenLead-1', activityType: 'prescreenLead' },
    value: 42,
  });
});

async function realTimeUntilNew(handle: { describe(): Promise<{ raw: any }> }, previous: string): Promise<string> {
  let found = '';
  await realTimeUntil('the activity scheduled again', async () => {
    const pending: { activityId: string; activityType?: { name?: string } }[] =
      (await handle.describe()).raw.pendingActivities ?? [];
    found =
      pending.find((p) => p.activityType?.name === 'prescreenLead' && p.activityId !== previous)?.activityId ?? '';
    return found !== '';
  });
  return found;
}
