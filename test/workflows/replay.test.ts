import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';

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
      'consent-grant-retried-across-the-deadline', 'human-review-retried-across-retention-end', ...leadPaths,
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
