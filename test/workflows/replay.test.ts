import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { MARKS_WAIT_FOR_ACTIONS_PATCH } from '../../src/workflows/complaint-case';
import { GRANT_IN_FLIGHT_PATCH, HUMAN_REVIEW_IN_FLIGHT_PATCH, REVIEW_IN_FLIGHT_PATCH } from '../../src/workflows/lead-case';

/**
 * Replays the committed histories of representative cases (test/workflows/histories, recorded by
 * `npm run histories:record`) against today's workflow code. Until launch a workflow change
 * re-records them; from launch on, a change that would break a running case fails here and needs
 * `patched()` (or Worker Versioning).
 */
const dir = join(__dirname, 'histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** The lead-case paths, recorded with `LOCAL_WRITES_PATCH` and (most of them, tagged) before it: both must keep replaying. */
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
      'channel-review-ten-channels-two-batches', 'complaint-harassment-late-escalated-reopened-closed', 'complaint-no-case-retention-erased',
      'complaint-legal-hold-during-retention-erased', 'projected-at-intake-consent-granted-then-withdrawn',
      'consent-grant-retried-across-the-deadline', 'human-review-retried-across-retention-end', 'review-written-across-its-deadline',
      'complaint-first-response-written-across-its-deadline', ...leadPaths,
    ].sort(),
  );
});

test.each(fixtures)('%s replays without non-determinism', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! } }, history, file),
  ).resolves.toBeUndefined();
});

/**
 * The paths whose history from before the local-writes patch still replays. The one with a Signal
 * is not among them: its Signal had no verified sender, and a Signal without one is ignored.
 */
const beforeLocalWrites = leadPaths.filter((p) => p !== 'lead-do-not-contact-from-complaint');

test.each(beforeLocalWrites)('%s is recorded both before (@before-local-writes) and after the local-writes patch', (path) => {
  const firstRun = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.run1.json`), 'utf8')) as { events: { markerRecordedEventAttributes?: { markerName?: string } }[] };
  const hasPatchMarker = (name: string) => firstRun(name).events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
  expect(hasPatchMarker(`${path}@before-local-writes`)).toBe(false);
  expect(hasPatchMarker(path)).toBe(true);
});

/** The races fixed with `patched()`: each path is recorded before its patch (tagged) and with it. */
const patchedPaths: [path: string, before: string, patchId: string][] = [
  ['consent-grant-retried-across-the-deadline', 'before-grant-in-flight-patch', GRANT_IN_FLIGHT_PATCH],
  ['human-review-retried-across-retention-end', 'before-human-review-patch', HUMAN_REVIEW_IN_FLIGHT_PATCH],
  ['review-written-across-its-deadline', 'before-in-flight-marks', REVIEW_IN_FLIGHT_PATCH],
  ['complaint-first-response-written-across-its-deadline', 'before-in-flight-marks', MARKS_WAIT_FOR_ACTIONS_PATCH],
];

test.each(patchedPaths)('%s is recorded both before its patch (@%s) and with it', (path, before, patchId) => {
  type Marker = { markerName?: string; details?: Record<string, { payloads?: { data?: string }[] }> };
  // Every run of the fixture: the patched wait may come after a continue-as-new.
  const patchesIn = (name: string): string[] => {
    const runs = fixtures.filter((f) => f.startsWith(`${name}.run`));
    const events = runs.flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { events: { markerRecordedEventAttributes?: Marker }[] }).events);
    return events
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((d) => d.payloads ?? []))
      .map((p) => (JSON.parse(Buffer.from(p.data ?? '', 'base64').toString('utf8')) as { id: string }).id);
  };
  expect(patchesIn(`${path}@${before}`)).not.toContain(patchId);
  expect(patchesIn(path)).toContain(patchId);
});

/** The lead and complaint paths (the channel review takes no message from a person). */
const messagePaths = [...new Set(fixtures.filter((f) => !f.includes('@')).map((f) => f.replace(/\.run\d+\.json$/, '')))].filter(
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
  const updates = events.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input).filter((i) => i !== undefined);
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
