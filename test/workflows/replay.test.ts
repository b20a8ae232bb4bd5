import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

/**
 * Replays the committed histories of representative cases (test/workflows/histories, recorded by
 * `npm run histories:record`) against today's workflow code. Until launch a workflow change
 * re-records them; from launch on, a change that would break a running case fails here
 * (docs/versioning.md says what to do then).
 */
const dir = join(__dirname, 'histories');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();

/** The lead-case paths. */
const leadPaths = [
  'consent-timeout-erased',
  'lead-do-not-contact-from-complaint',
  'legal-hold-during-retention',
  'tier-a-converted-then-retention',
  'tier-b-escalated-reassigned-lost-erased',
  'tier-c-human-review-approved',
  'withdrawal-during-follow-up',
];

test('there are saved histories for every representative path', () => {
  const paths = new Set(fixtures.map((f) => f.replace(/(@[a-z0-9-]+)?\.run\d+\.json$/, '')));
  expect([...paths].sort()).toEqual(
    [
      'channel-review-ten-channels-two-batches',
      'complaint-harassment-late-escalated-reopened-closed',
      'complaint-no-case-retention-erased',
      'complaint-legal-hold-during-retention-erased',
      'projected-at-intake-consent-granted-then-withdrawn',
      'consent-grant-retried-across-the-deadline',
      'human-review-retried-across-retention-end',
      'review-written-across-its-deadline',
      'complaint-first-response-written-across-its-deadline',
      ...leadPaths,
    ].sort(),
  );
});

test.each(fixtures)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! } }, history, file),
  ).resolves.toBeUndefined();
});

/** The lead and complaint paths (the channel review takes no message from a person). */
const messagePaths = [...new Set(fixtures.map((f) => f.replace(/\.run\d+\.json$/, '')))].filter(
  (p) => p !== 'channel-review-ten-channels-two-batches',
);

/**
 * The main fixtures are recorded with verified senders: every Update and Signal they took carries
 * `auth` for its own name. A Signal without a verified sender is ignored, so a fixture recorded
 * without them would not show what the case does with it.
 */
test.each(messagePaths)('%s sends every Update and Signal with its verified sender', (path) => {
  type Input = { name?: string; args?: { payloads?: { data?: string }[] } };
  type Event = {
    workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: Input } };
    workflowExecutionSignaledEventAttributes?: { signalName?: string; input?: { payloads?: { data?: string }[] } };
  };
  const events = fixtures
    .filter((f) => f.startsWith(`${path}.run`))
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { events: Event[] }).events);
  const updates = events
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input)
    .filter((i) => i !== undefined);
  const signals = events
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a !== undefined)
    .map((a) => ({ name: a!.signalName, args: a!.input }));
  // The complaint's doNotContact Signal to its case is the one Signal among them.
  if (path === 'lead-do-not-contact-from-complaint') expect(signals.length).toBeGreaterThan(0);
  for (const message of [...updates, ...signals]) {
    const [first] = message!.args?.payloads ?? [];
    if (!first) continue; // awaitOpening takes no argument
    const arg = JSON.parse(Buffer.from(first.data ?? '', 'base64').toString('utf8')) as { auth?: { message?: string } };
    expect(arg.auth?.message).toBe(message!.name);
  }
});
