import { NativeConnection, type Worker } from '@temporalio/worker';
import { buildIdOf, caseVersioning } from '../../src/platform/worker/deployment';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import { createLeadWorker } from '../../src/worker/worker';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

/** Workers run under Worker Versioning (docs/versioning.md): their build is current, and cases run on it. */
let stack: TestStack;
beforeAll(async () => {
  // As in production: cases pinned, in a deployment of this file's own so that the build made
  // current below moves no other file's cases.
  stack = await startStack({
    TEMPORAL_CASE_VERSIONING: 'PINNED',
    TEMPORAL_DEPLOYMENT_NAME: `lead-case-engine-versioning-${process.pid}`,
  });
});
afterAll(async () => stack?.stop());

test('the worker made its build the deployment’s current version, and a new case runs on that build with the configured behaviour', async () => {
  const buildId = buildIdOf(stack.cfg, { workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH });
  const deployment = await stack.client.workflowService.describeWorkerDeployment({
    namespace: stack.cfg.TEMPORAL_NAMESPACE,
    deploymentName: stack.cfg.TEMPORAL_DEPLOYMENT_NAME,
  });
  expect(deployment.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId).toBe(buildId);

  const ch = await aChannel(stack.db, { grade: 'premium' });
  await aBroker(stack.db, ch.team);
  const intake = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
  expect(intake.status).toBe(201);
  const handle = stack.client.workflow.getHandle(leadWorkflowId(intake.body.caseId));
  const versioning = await eventually(async () => {
    const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
    return info?.behavior ? info : null;
  }, 'the case to run on a version');
  expect(versioning.deploymentVersion?.buildId).toBe(buildId);
  expect(String(versioning.behavior)).toMatch(/PINNED|^1$/);
  // Unless told otherwise, a case follows new builds in tests and development and stays on its own in production.
  const unset = { ...stack.cfg, TEMPORAL_CASE_VERSIONING: undefined };
  expect(caseVersioning(unset)).toBe('AUTO_UPGRADE');
  expect(caseVersioning({ ...unset, NODE_ENV: 'production' })).toBe('PINNED');
});

test('the build ID is a hash of the workflow bundle unless one is given', () => {
  const a = buildIdOf({ ...stack.cfg, TEMPORAL_BUILD_ID: undefined }, { workflowBundleCode: 'code A' });
  expect(a).toMatch(/^wf-[0-9a-f]{16}$/);
  expect(buildIdOf({ ...stack.cfg, TEMPORAL_BUILD_ID: undefined }, { workflowBundleCode: 'code B' })).not.toBe(a);
  expect(buildIdOf({ ...stack.cfg, TEMPORAL_BUILD_ID: 'abc123' }, { workflowBundleCode: 'code A' })).toBe('abc123');
});

test('a closed case’s retention wait moves to a new build while an open case stays pinned to its own', async () => {
  const buildA = buildIdOf(stack.cfg, { workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH });
  const ch = await aChannel(stack.db, { grade: 'premium' });
  const broker = await aBroker(stack.db, ch.team);
  const start = async () => {
    const intake = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    expect(intake.status).toBe(201);
    return intake.body.caseId as string;
  };
  const [open, closing] = [await start(), await start()];
  const versioningOf = async (caseId: string) => {
    const info = (await stack.client.workflow.getHandle(leadWorkflowId(caseId)).describe()).raw;
    return {
      runId: info.workflowExecutionInfo?.execution?.runId,
      firstRunId: info.workflowExecutionInfo?.firstRunId,
      buildId: info.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId,
      behavior: String(info.workflowExecutionInfo?.versioningInfo?.behavior),
    };
  };
  await eventually(
    async () => (await stack.api(actors.broker(broker), 'GET', `/v1/leads/${closing}`)).body.stage === 'follow_up',
    'the second case to reach its broker',
  );
  const lost = await stack.api(actors.broker(broker), 'POST', `/v1/leads/${closing}/outcome`, { outcome: 'lost' });
  expect(lost.body.stage).toBe('closed');
  const waiting = await eventually(async () => {
    const v = await versioningOf(closing);
    return v.runId !== v.firstRunId && /AUTO_UPGRADE|^2$/.test(v.behavior) ? v : null;
  }, 'the closed case to continue as new into an auto-upgrading retention run');
  expect(waiting.buildId).toBe(buildA);
  expect((await versioningOf(open)).behavior).toMatch(/PINNED|^1$/);

  // A new build is deployed beside the old one and made current.
  const connection = await NativeConnection.connect({ address: stack.cfg.TEMPORAL_ADDRESS });
  let buildB: Worker | undefined;
  let running: Promise<void> = Promise.resolve();
  try {
    buildB = await createLeadWorker({
      cfg: { ...stack.cfg, TEMPORAL_BUILD_ID: `build-b-${process.pid}` },
      db: stack.db,
      connection,
      workflowBundlePath: process.env.WORKFLOW_BUNDLE_PATH,
    });
    running = buildB.run();
    await eventually(async () => {
      const d = await stack.client.workflowService.describeWorkerDeployment({
        namespace: stack.cfg.TEMPORAL_NAMESPACE,
        deploymentName: stack.cfg.TEMPORAL_DEPLOYMENT_NAME,
      });
      return d.workerDeploymentInfo?.routingConfig?.currentDeploymentVersion?.buildId === `build-b-${process.pid}`;
    }, 'the new build to become current once it polls');
    // Any new task moves an auto-upgrading run to the current build: here, a legal hold placed and
    // released (on busy cores the first task may still reach the old build's cached copy).
    const hold = async (caseId: string, on: boolean) => {
      const res = await stack.api(actors.compliance(), 'POST', `/v1/leads/${caseId}/legal-hold`, {
        hold: on,
        reason: 'versioning test',
      });
      expect(res.status).toBe(200);
    };
    await hold(open, true);
    let moved = false;
    for (let attempt = 0; attempt < 4 && !moved; attempt++) {
      await hold(closing, attempt % 2 === 0);
      moved = await eventually(
        async () => (await versioningOf(closing)).buildId === `build-b-${process.pid}`,
        'the retention run to move to the new build',
        10_000,
      ).catch(() => false);
    }
    expect(moved).toBe(true);
    expect(await versioningOf(open)).toMatchObject({ buildId: buildA, behavior: expect.stringMatching(/PINNED|^1$/) });
  } finally {
    if (buildB?.getState() === 'RUNNING') buildB.shutdown();
    await running;
    await connection.close();
  }
});
