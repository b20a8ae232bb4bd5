import { MockActivityEnvironment } from '@temporalio/testing';
import { type ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { createComplaintActivities, FILING_COMMIT_GRACE_MS } from '../../src/modules/complaint/activities';
import type { ComplaintEventInput } from '../../src/modules/complaint/contract';

/** A database that answers but has no row for the complaint. */
const emptyDb = { query: async () => [] } as unknown as DataSource;

/** The failure of recording an event of a missing complaint, its activity first scheduled that long ago. */
async function failureOf(scheduledAgoMs: number): Promise<ApplicationFailure> {
  const acts = createComplaintActivities({ db: emptyDb });
  const env = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() - scheduledAgoMs });
  try {
    const input: ComplaintEventInput = {
      eventId: 'e-1',
      complaintId: 'k-1',
      kind: 'first_response',
      actor: 'workflow',
      at: new Date().toISOString(),
      details: {},
    };
    await env.run(acts.recordComplaintEvent, input);
  } catch (err) {
    return err as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

test('a complaint row not there yet is retried: its filing may still be committing', async () => {
  const failure = await failureOf(5_000);
  expect(failure.type).toBe('complaint_not_found');
  expect(failure.nonRetryable).toBe(false);
});

test('a complaint row still missing long after the first attempt belongs to a filing that rolled back: the workflow is told to stop', async () => {
  const failure = await failureOf(FILING_COMMIT_GRACE_MS + 1_000);
  expect(failure.type).toBe('complaint_never_committed');
  expect(failure.nonRetryable).toBe(true);
});
