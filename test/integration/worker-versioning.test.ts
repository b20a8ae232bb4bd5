import { buildIdOf, caseVersioning } from '../../src/platform/worker/deployment';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';

/** Workers run under Worker Versioning (docs/versioning.md): their build is current, and cases run on it. */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
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
  // In tests (as in development) a case follows new builds; in production it stays on its own.
  expect(caseVersioning(stack.cfg)).toBe('AUTO_UPGRADE');
  expect(caseVersioning({ ...stack.cfg, NODE_ENV: 'production' })).toBe('PINNED');
  expect(String(versioning.behavior)).toMatch(/AUTO_UPGRADE|^2$/);
});

test('the build ID is a hash of the workflow bundle unless one is given', () => {
  const a = buildIdOf({ ...stack.cfg, TEMPORAL_BUILD_ID: undefined }, { workflowBundleCode: 'code A' });
  expect(a).toMatch(/^wf-[0-9a-f]{16}$/);
  expect(buildIdOf({ ...stack.cfg, TEMPORAL_BUILD_ID: undefined }, { workflowBundleCode: 'code B' })).not.toBe(a);
  expect(buildIdOf({ ...stack.cfg, TEMPORAL_BUILD_ID: 'abc123' }, { workflowBundleCode: 'code A' })).toBe('abc123');
});
