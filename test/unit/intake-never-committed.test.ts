import { MockActivityEnvironment } from '@temporalio/testing';
import { type ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { createLeadActivities, INTAKE_COMMIT_GRACE_MS } from '../../src/modules/lead/activities/case';
import { defaultPolicy } from '../../src/platform/config/policy';

/** A database that answers but has no row for the case: the projection updates nothing, the lookup finds nothing. */
const query = async (sql: string) => (sql.includes('AS written') ? [{ written: 0, current_seq: null }] : []);
const emptyDb = { query, manager: { query } } as unknown as DataSource;
const projection = {
  stage: 'awaiting_consent',
  isOpen: true,
  riskTier: null,
  brokerId: null,
  consentState: 'none',
  slaDueAt: null,
  slaKind: null,
  doNotContact: false,
  selectedProductId: null,
  outcome: null,
  closedAt: null,
  retentionDueAt: null,
  legalHold: false,
} as const;

/** The failure of a projection of a missing case, scheduled that long ago, asked by the workflow (`at`) that long ago if given. */
async function failureOf(scheduledAgoMs: number, askedAgoMs?: number): Promise<ApplicationFailure> {
  const acts = createLeadActivities({ db: emptyDb, policy: defaultPolicy() });
  const env = new MockActivityEnvironment({
    scheduledTimestampMs: Date.now() - scheduledAgoMs,
    isLocal: askedAgoMs !== undefined,
  });
  const at = askedAgoMs === undefined ? undefined : new Date(Date.now() - askedAgoMs).toISOString();
  try {
    await env.run(acts.projectCase, { caseId: 'c-1', seq: 1, at, projection });
  } catch (err) {
    return err as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

test('a case row not there yet is retried: its intake may still be committing', async () => {
  const failure = await failureOf(5_000);
  expect(failure.type).toBe('case_not_found');
  expect(failure.nonRetryable).toBe(false);
});

test('a case row still missing long after the first attempt belongs to an intake that rolled back: the workflow is told to stop', async () => {
  const failure = await failureOf(INTAKE_COMMIT_GRACE_MS + 1_000);
  expect(failure.type).toBe('case_never_committed');
  expect(failure.nonRetryable).toBe(true);
});

test('a local write rescheduled after a back-off timer counts from when the workflow asked, not from its latest scheduling', async () => {
  // Core gives a local activity rescheduled after a back-off timer a new scheduled time; the input's `at` keeps the first.
  const failure = await failureOf(30_000, INTAKE_COMMIT_GRACE_MS + 1_000);
  expect(failure.type).toBe('case_never_committed');
  expect(failure.nonRetryable).toBe(true);
});

test('the grace counts from the earlier of the scheduling and the request', async () => {
  expect((await failureOf(5_000, 1_000)).type).toBe('case_not_found'); // both recent
  expect((await failureOf(INTAKE_COMMIT_GRACE_MS + 1_000, 1_000)).type).toBe('case_never_committed'); // the earlier of the two
});
