import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { channelReview } from '../../src/modules/channel/workflow';
import { FakeActivities, timeSkippingEnv, withWorker } from './harness';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await timeSkippingEnv();
});
afterEach(async () => {
  await env?.teardown();
});

test('the review grades every channel once, under one review key and one clock, and sums up what changed', async () => {
  const fakes = new FakeActivities();
  fakes.channels = Array.from({ length: 19 }, (_, i) => `ch-${String(i).padStart(2, '0')}`);
  fakes.suspend = ['ch-03', 'ch-17'];
  const summary = await withWorker(env, fakes, (taskQueue) =>
    env.client.workflow.execute(channelReview, { workflowId: 'channel-review-test', taskQueue, args: [{}] }),
  );
  const reviews = fakes.named('reviewChannel');
  expect(reviews.map((r) => r.channelId).sort()).toEqual(fakes.channels);
  expect(new Set(reviews.map((r) => r.reviewId))).toEqual(new Set(['channel-review-test']));
  expect(new Set(reviews.map((r) => r.at)).size).toBe(1);
  expect(summary).toMatchObject({
    reviewId: 'channel-review-test',
    reviewed: 19,
    suspended: ['ch-03', 'ch-17'],
    overridden: [],
  });
  expect(summary.changed).toHaveLength(19);
});

test('a review of named channels grades only those', async () => {
  const fakes = new FakeActivities();
  fakes.channels = ['ch-a', 'ch-b', 'ch-c'];
  const summary = await withWorker(env, fakes, (taskQueue) =>
    env.client.workflow.execute(channelReview, {
      workflowId: 'channel-review-named',
      taskQueue,
      args: [{ channelIds: ['ch-b'] }],
    }),
  );
  expect(fakes.named('listChannelsForReview')).toEqual([{ channelIds: ['ch-b'] }]);
  expect(fakes.named('reviewChannel').map((r) => r.channelId)).toEqual(['ch-b']);
  expect(summary.reviewed).toBe(1);
});

test('the schedule starts it with no argument at all', async () => {
  const fakes = new FakeActivities();
  fakes.channels = ['ch-a'];
  const summary = await withWorker(env, fakes, (taskQueue) =>
    env.client.workflow.execute(channelReview, { workflowId: 'channel-review-scheduled', taskQueue, args: [] }),
  );
  expect(summary.reviewed).toBe(1);
});
