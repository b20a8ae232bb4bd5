import { stampActivityOutcomes } from '../../src/platform/worker/activity-outcomes';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { AuditCheckpoint } from '../../src/platform/audit/checkpoint';
import {
  auditAnchor,
  auditCheckpointsQuery,
  NEWEST_CHECKPOINT_MEMO,
  recordAuditCheckpointUpdate,
} from '../../src/modules/audit/workflow';
import { timeSkippingEnv } from './harness';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await timeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

const checkpoint = (lastId: string, at = '2026-12-07T08:00:00.000Z'): AuditCheckpoint => ({
  lastId,
  count: Number(lastId),
  headMac: 'a'.repeat(64),
  at,
  keyId: 'audit-1',
  signature: 'b'.repeat(64),
});

async function withAnchor<T>(
  input: { checkpoints?: AuditCheckpoint[] },
  fn: (handle: Awaited<ReturnType<TestWorkflowEnvironment['client']['workflow']['start']>>) => Promise<T>,
): Promise<T> {
  const taskQueue = `anchor-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
    interceptors: { activity: [stampActivityOutcomes] },
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start(auditAnchor, {
      workflowId: `audit-anchor-${taskQueue}`,
      taskQueue,
      args: [input],
    });
    try {
      return await fn(handle);
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  });
}

test('keeps the checkpoints it is given, newest by last row, and names the newest in its memo', async () => {
  await withAnchor({}, async (handle) => {
    for (const id of ['9', '12', '10']) {
      expect(await handle.executeUpdate(recordAuditCheckpointUpdate, { args: [checkpoint(id)] })).toMatchObject({
        lastId: id,
      });
    }
    // A genuine older checkpoint sent again does not move the anchor back.
    await handle.executeUpdate(recordAuditCheckpointUpdate, { args: [checkpoint('9', '2026-12-07T09:00:00.000Z')] });
    expect((await handle.query(auditCheckpointsQuery)).map((c) => c.lastId)).toEqual(['9', '9', '10', '12']);
    expect((await handle.describe()).memo?.[NEWEST_CHECKPOINT_MEMO]).toMatchObject({ lastId: '12' });
  });
});

test('refuses what is not a checkpoint, leaving its state as it was', async () => {
  await withAnchor({}, async (handle) => {
    await handle.executeUpdate(recordAuditCheckpointUpdate, { args: [checkpoint('3')] });
    for (const bad of [
      { $refused: 'unsealed' },
      { ...checkpoint('4'), signature: 'nope' },
      { ...checkpoint('4'), lastId: '-1' },
    ]) {
      await expect(
        handle.executeUpdate(recordAuditCheckpointUpdate, { args: [bad as unknown as AuditCheckpoint] }),
      ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/not an audit checkpoint/) } });
    }
    expect((await handle.query(auditCheckpointsQuery)).map((c) => c.lastId)).toEqual(['3']);
  });
});

test('a run continued as new starts with what it carried, its memo already naming the newest', async () => {
  await withAnchor({ checkpoints: [checkpoint('20'), checkpoint('7')] }, async (handle) => {
    expect((await handle.query(auditCheckpointsQuery)).map((c) => c.lastId)).toEqual(['7', '20']);
    expect((await handle.describe()).memo?.[NEWEST_CHECKPOINT_MEMO]).toMatchObject({ lastId: '20' });
  });
});
