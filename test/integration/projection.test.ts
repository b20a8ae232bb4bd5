import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ApplicationFailure } from '@temporalio/common';
import type { DataSource, QueryRunner } from 'typeorm';
import type { CaseProjectionInput } from '../../src/modules/lead/activities/contract';
import { createComplaintActivities } from '../../src/modules/complaint/activities';
import type { ComplaintProjection } from '../../src/modules/complaint/contract';
import { createLeadActivities } from '../../src/modules/lead/activities/case';
import { aChannel } from '../support/factories';
import { startStack, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({}, { worker: false });
});
afterAll(async () => stack?.stop());

/** A case row as an intake inserts it, inside `runner`'s transaction when given one. */
async function insertCase(runner: QueryRunner | DataSource, channelId: string, projectionSeq = 0): Promise<string> {
  const id = randomUUID();
  await runner.query(
    `INSERT INTO lead_cases (id, workflow_id, channel_id, channel_grade, stage, is_open, consent_state, vulnerable, is_local,
                             amount_cny, term_months, loan_purpose, occupation, age_band, province_code, region_prefix, projection_seq)
     VALUES ($1, $4, $2, 'general', 'awaiting_consent', true, 'none', false, true, 100000, 24, 'consumption', 'salaried', '30-39', '11', '1101', $3)`,
    [id, channelId, projectionSeq, `lead-${id}`],
  );
  return id;
}

const projectionOf = (caseId: string, seq: number): CaseProjectionInput => ({
  caseId,
  seq,
  at: new Date().toISOString(),
  projection: {
    stage: 'awaiting_consent',
    isOpen: true,
    riskTier: null,
    brokerId: null,
    consentState: 'none',
    slaDueAt: new Date(Date.now() + 72 * 3_600_000).toISOString(),
    slaKind: 'consent',
    doNotContact: false,
    selectedProductId: null,
    outcome: null,
    closedAt: null,
    retentionDueAt: null,
    legalHold: false,
  },
});

const projectCase = (db: DataSource, input: CaseProjectionInput) =>
  new MockActivityEnvironment({ isLocal: true, scheduledTimestampMs: Date.now() }).run(
    createLeadActivities({ db, policy: stack.cfg.policy }).projectCase,
    input,
  );

/**
 * The database as an activity sees it, while `writer`'s open transaction commits right after the
 * activity's first statement: the race of a workflow's first write with the commit of the intake
 * (or filing) that started it inside its transaction.
 */
function committingAfterFirstStatement(writer: QueryRunner): DataSource & { committed: boolean } {
  const racing = {
    committed: false,
    manager: stack.db.manager,
    query: async (sql: string, params?: unknown[]) => {
      const result = await stack.db.query(sql, params);
      if (!racing.committed) {
        racing.committed = true;
        await writer.commitTransaction();
      }
      return result;
    },
  };
  return racing as unknown as DataSource & { committed: boolean };
}

/** The activity failed with a retryable failure of this type (its row was not there yet). */
async function expectRetried(run: Promise<unknown>, type: string): Promise<void> {
  const failure = await run.then(
    () => null,
    (err: ApplicationFailure) => err,
  );
  expect(failure?.type).toBe(type);
  expect(failure?.nonRetryable).toBe(false);
}

const rowOf = async (caseId: string) =>
  (await stack.db.query('SELECT projection_seq, sla_kind FROM lead_cases WHERE id = $1', [caseId]))[0];

describe('projectCase', () => {
  test('a projection whose intake commits just after it looked is retried, not taken as overtaken and lost', async () => {
    const { id: channelId } = await aChannel(stack.db);
    const intake = stack.db.createQueryRunner();
    await intake.connect();
    await intake.startTransaction();
    let caseId: string;
    try {
      caseId = await insertCase(intake, channelId);
      const racing = committingAfterFirstStatement(intake);

      await expectRetried(projectCase(racing, projectionOf(caseId, 1)), 'case_not_found');
      expect(racing.committed).toBe(true);
    } finally {
      if (intake.isTransactionActive) await intake.rollbackTransaction();
      await intake.release();
    }
    // Its retry finds the committed row and writes the projection.
    await projectCase(stack.db, projectionOf(caseId, 1));
    expect(await rowOf(caseId)).toEqual({ projection_seq: 1, sla_kind: 'consent' });
  });

  test('a projection overtaken by a newer one is done and changes nothing', async () => {
    const { id: channelId } = await aChannel(stack.db);
    const caseId = await insertCase(stack.db, channelId, 5);
    await expect(projectCase(stack.db, projectionOf(caseId, 3))).resolves.toBeUndefined();
    expect(await rowOf(caseId)).toEqual({ projection_seq: 5, sla_kind: null });
  });

  test('a projection over an older one is written', async () => {
    const { id: channelId } = await aChannel(stack.db);
    const caseId = await insertCase(stack.db, channelId, 1);
    await projectCase(stack.db, projectionOf(caseId, 2));
    expect(await rowOf(caseId)).toEqual({ projection_seq: 2, sla_kind: 'consent' });
  });
});

describe('projectComplaint', () => {
  const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();
  const projection = (): ComplaintProjection => ({
    state: 'in_progress',
    firstResponseDueAt: inOneDay(),
    firstRespondedAt: new Date().toISOString(),
    lateFirstResponse: false,
    resolutionDueAt: inOneDay(),
    lateResolution: false,
    nextDueAt: inOneDay(),
    escalatedTeams: null,
    escalatedAt: null,
    timesReopened: 0,
    doNotContact: 'not_needed',
    resolution: null,
    satisfaction: null,
    closedAt: null,
    retentionDueAt: null,
    legalHold: false,
  });

  test('a projection whose filing commits just after it looked is retried, not lost', async () => {
    const filing = stack.db.createQueryRunner();
    await filing.connect();
    await filing.startTransaction();
    const complaintId = randomUUID();
    try {
      await filing.query(
        `INSERT INTO complaints (id, workflow_id, category, requested_priority, priority, about_contact, do_not_contact, state, filed_by, filed_at,
                                 key_scope, first_response_due_at, resolution_due_at)
         VALUES ($1, $2, 'other', 'normal', 'normal', false, 'not_needed', 'awaiting_response', 'channel:test', now(), 'complaint', now(), now())`,
        [complaintId, `complaint-${complaintId}`],
      );
      const racing = committingAfterFirstStatement(filing);
      const env = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() });
      await expectRetried(
        env.run(createComplaintActivities({ db: racing }).projectComplaint, {
          complaintId,
          seq: 1,
          projection: projection(),
        }),
        'complaint_not_found',
      );
      expect(racing.committed).toBe(true);
    } finally {
      if (filing.isTransactionActive) await filing.rollbackTransaction();
      await filing.release();
    }
    const env = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() });
    await env.run(createComplaintActivities({ db: stack.db }).projectComplaint, {
      complaintId,
      seq: 1,
      projection: projection(),
    });
    const [row] = await stack.db.query('SELECT state, projection_seq FROM complaints WHERE id = $1', [complaintId]);
    expect(row).toEqual({ state: 'in_progress', projection_seq: 1 });
  });
});
