import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { MARKS_WAIT_FOR_ACTIONS_PATCH } from '../../src/workflows/complaint-case';
import { GRANT_IN_FLIGHT_PATCH, HUMAN_REVIEW_IN_FLIGHT_PATCH, REVIEW_IN_FLIGHT_PATCH } from '../../src/workflows/lead-case';

/**
 * Replays the committed histories of representative cases (test/workflows/histories, recorded by
 * `npm run histories:record`) against today's workflow code. A change that would break a case
 * already running in production fails here: guard it with `patched()` instead.
 */
const dir = join(__dirname, 'histories');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** The lead-case paths, recorded before `LOCAL_WRITES_PATCH` and with it: both must keep replaying. */
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

test.each(leadPaths)('%s is recorded both before and after the local-writes patch', (path) => {
  const firstRun = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.run1.json`), 'utf8')) as { events: { markerRecordedEventAttributes?: { markerName?: string } }[] };
  const hasPatchMarker = (name: string) => firstRun(name).events.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch');
  expect(hasPatchMarker(path)).toBe(false);
  expect(hasPatchMarker(`${path}@local-writes`)).toBe(true);
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

/**
 * Every lead and complaint path is recorded again with verified senders: its messages carry `auth`.
 * The older fixtures, whose messages named their sender in free fields, must keep replaying too.
 */
const verifiedPaths = [...new Set(fixtures.filter((f) => f.includes('@verified-senders')).map((f) => f.replace(/@verified-senders\.run\d+\.json$/, '')))];

test('the lead and complaint paths are recorded with verified senders too', () => {
  const all = new Set(fixtures.map((f) => f.replace(/(@[a-z0-9-]+)?\.run\d+\.json$/, '')));
  expect(verifiedPaths.sort()).toEqual([...all].filter((p) => p !== 'channel-review-ten-channels-two-batches').sort());
});

test.each(verifiedPaths)('%s@verified-senders sends every Update with its verified sender', (path) => {
  type Event = { workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string; args?: { payloads?: { data?: string }[] } } } } };
  const events = fixtures
    .filter((f) => f.startsWith(`${path}@verified-senders.run`))
    .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { events: Event[] }).events);
  const updates = events.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input).filter((i) => i !== undefined);
  for (const update of updates) {
    const [first] = update!.args?.payloads ?? [];
    if (!first) continue; // awaitOpening takes no argument
    const arg = JSON.parse(Buffer.from(first.data ?? '', 'base64').toString('utf8')) as { auth?: { message?: string } };
    expect(arg.auth?.message).toBe(update!.name);
  }
});
