import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { parsePolicy } from '../../src/platform/config/policy';
import {
  caseInput,
  everyDayWorked,
  FakeActivities,
  settled,
  startCase,
  timeSkippingEnv,
  untilShanghaiMorning,
  withConsent,
  withWorker,
} from './harness';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await timeSkippingEnv();
  await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
});
afterEach(async () => env?.teardown());

/** Every summary the history's events carry (timers, activities, local activity markers), decoded. */
function summaries(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  return events
    .map((e) => e.userMetadata?.summary)
    .filter((p): p is temporal.api.common.v1.IPayload => !!p)
    .map((p) => defaultPayloadConverter.fromPayload<string>(p));
}

describe("the event history speaks the case's language", () => {
  test('timers and activities carry Chinese summaries: the deadline with its span and mark, the activity by what it does', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      const said = summaries((await handle.fetchHistory()).events ?? []);
      // A tier A case (the fakes' default) has 30 minutes for its first contact; the first mark reminds the broker.
      expect(said).toContain('首次联系期限（30 分钟）：提醒经纪人');
      expect(said).toEqual(expect.arrayContaining(['贷前初审', '产品匹配', '分配经纪人', '更新案件记录']));
    });
  });

  test('in English when the policy says so', async () => {
    const fakes = new FakeActivities();
    const policy = { ...everyDayWorked(), display: parsePolicy({ display: { locale: 'en' } }).display };
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent(), policy }));
      await settled(env, handle);
      const said = summaries((await handle.fetchHistory()).events ?? []);
      expect(said).toContain('first contact deadline (30 min): remind the broker');
      expect(said).toEqual(expect.arrayContaining(['pre-screen', 'match products', 'assign a broker']));
    });
  });
});
