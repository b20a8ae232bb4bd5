import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  humanReviewUpdate,
  outcomeUpdate,
  stateQuery,
  withdrawConsentUpdate,
  type LeadCaseState,
} from '../../src/modules/lead/messages';
import {
  caseInput,
  DAY,
  FakeActivities,
  MINUTE,
  realTimeUntil,
  sent,
  settled,
  startCase,
  timeSkippingEnv,
  untilShanghaiMorning,
  untilWriteWaitsOnBackoff,
  withConsent,
  withWorker,
} from './harness';

/** Faults that must not leave personal data behind: each ends with the case erased or dated for erasure. */
let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await timeSkippingEnv();
  await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
});
afterEach(async () => env?.teardown());

/** Fake activities whose pre-screen fails for good, as the real one does when the case has no credit facts. */
class FactsMissing extends FakeActivities {
  override build() {
    const built = super.build();
    return {
      ...built,
      prescreenLead: async (input: any) => {
        this.calls.push({ name: 'prescreenLead', input });
        throw ApplicationFailure.nonRetryable('case has no credit facts', 'credit_facts_missing');
      },
    };
  }
}

/** Fake activities whose pre-screen declines the case, after which the database goes down. */
class DeclinedThenDown extends FakeActivities {
  override build() {
    const built = super.build();
    return {
      ...built,
      prescreenLead: async (input: any) => {
        this.calls.push({ name: 'prescreenLead', input });
        this.projectCaseFails = new Error('connect ECONNREFUSED');
        return {
          tier: 'C' as const,
          rulesFired: [{ code: 'blacklisted', effect: 'decline' as const, detail: 'blacklist' }],
          requiredDocuments: [],
        };
      },
    };
  }
}

/** Fake activities whose case projection fails whenever it runs as a local activity: a database that stays down for the worker's local retries. */
class DownForLocalWrites extends FakeActivities {
  override build() {
    const built = super.build();
    return {
      ...built,
      projectCase: async (input: any) => {
        if (this.localWritesFail && Context.current().info.isLocal) throw new Error('connect ECONNREFUSED');
        return built.projectCase(input);
      },
    };
  }
  localWritesFail = false;
  nonLocalProjections = 0;
}

/** Fake activities whose first case projection is refused for good (a row that cannot take it). */
class FirstProjectionRefused extends FakeActivities {
  refused = false;
  override build() {
    const built = super.build();
    return {
      ...built,
      projectCase: async (input: any) => {
        if (!this.refused) {
          this.refused = true;
          throw ApplicationFailure.nonRetryable('the projection was refused', 'projection_refused');
        }
        return built.projectCase(input);
      },
    };
  }
}

/** Resolves with `p`'s value, or with 'still waiting' when it has not settled within `ms` of real time. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms))]);

/** The current run of the case once it has continued as new from `firstRunId`. */
async function nextRun(handle: { workflowId: string }, firstRunId: string) {
  const latest = env.client.workflow.getHandle(handle.workflowId);
  await realTimeUntil('the case continued as new', async () => (await latest.describe()).runId !== firstRunId);
  return latest;
}

describe('faults that must not leave personal data behind', () => {
  test('a core withdrawal accepted while the closing write is retried erases the case once the database is back', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      // The database goes down as the broker closes the case: the closing projection is retried.
      fakes.projectCaseFails = new Error('connect ECONNREFUSED');
      const closing = handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'lost' })] });
      await untilWriteWaitsOnBackoff(handle);
      const withdrawal = handle.executeUpdate(withdrawConsentUpdate, {
        args: [sent({ purposes: ['credit_assessment'], source: 'customer' })],
      });
      await realTimeUntil('the withdrawal was recorded', () =>
        fakes.named('recordConsentEvent').some((e) => e.action === 'withdraw'),
      );
      await env.sleep(3 * MINUTE);
      fakes.projectCaseFails = null;
      await env.sleep(2 * MINUTE);

      expect((await within(closing, 30_000)) === 'still waiting').toBe(false);
      const answer = await within(withdrawal, 30_000);
      expect(answer).not.toBe('still waiting');
      expect((answer as { state: LeadCaseState }).state.stage).toBe('erased');
      expect(fakes.named('eraseLeadData').map((e) => e.reason)).toEqual(['consent_withdrawn']);
      await expect(handle.result()).resolves.toMatchObject({ stage: 'erased', closeReason: 'consent_withdrawn' });
    });
  });

  test('a case write that keeps failing goes on as an ordinary activity once its local retries run out, and the history stays small however long the outage', async () => {
    const fakes = new DownForLocalWrites();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      fakes.localWritesFail = true;
      // The run that takes the write (a closed case then continues as new into retention).
      const run = env.client.workflow.getHandle(handle.workflowId, (await handle.describe()).runId);
      const closing = handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'lost' })] });
      await untilWriteWaitsOnBackoff(run);
      const eventsAtFirstBackoff = (await run.fetchHistory()).events?.length ?? 0;
      // Six hours of an outage of local writes: unbounded, each minute of it would add timer events.
      await env.sleep(6 * 60 * MINUTE);

      const answer = await within(closing, 30_000);
      expect(answer).not.toBe('still waiting');
      expect((answer as { state: LeadCaseState }).state.stage).toBe('closed');
      const events = (await run.fetchHistory()).events ?? [];
      expect(events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'projectCase')).toBe(
        true,
      );
      expect(events.length - eventsAtFirstBackoff).toBeLessThan(60);
    });
  });

  test('a human review asked for while the declining write is retried reopens the case once the database is back', async () => {
    const fakes = new DeclinedThenDown();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await untilWriteWaitsOnBackoff(handle);
      expect((await handle.query(stateQuery)).stage).toBe('declined');
      const asked = handle.executeUpdate(humanReviewUpdate, { args: [sent({ requestedBy: 'compliance:c1' })] });
      await realTimeUntil('the request was recorded', () => fakes.named('recordDecision').length > 0);
      await env.sleep(3 * MINUTE);
      fakes.projectCaseFails = null;
      await env.sleep(2 * MINUTE);

      const answer = await within(asked, 30_000);
      expect(answer).not.toBe('still waiting');
      expect((answer as { state: LeadCaseState }).state.stage).toBe('manual_review');
      expect(fakes.notifications('human_review_requested')).toHaveLength(1);
    });
  });

  test('a run continued as new into retention publishes its summary and current details', async () => {
    const fakes = new FakeActivities();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await settled(env, handle);
      await handle.executeUpdate(outcomeUpdate, { args: [sent({ brokerId: 'b-1', outcome: 'lost' })] });
      const latest = await nextRun(handle, handle.firstExecutionRunId);
      const metadata = await latest.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(metadata.currentDetails).toContain('线索案件 · ch-test · 100000 元 / 24 个月');
      expect(metadata.currentDetails).toContain('**阶段：** 已结案（未成交）');
      expect(metadata.currentDetails).toMatch(/\*\*等待：\*\* 保留期届满（\d{4}-\d{2}-\d{2} \d{2}:\d{2} 北京时间）/);
    });
  });

  test('a pre-screen that fails for good closes the case with the reason and a retention date, and retention erases it', async () => {
    const fakes = new FactsMissing();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      const latest = await nextRun(handle, handle.firstExecutionRunId);
      expect(
        (await env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe()).status.name,
      ).toBe('CONTINUED_AS_NEW');
      const state = await latest.query(stateQuery);
      expect(state).toMatchObject({ stage: 'closed', closeReason: 'system_error:credit_facts_missing' });
      expect(state.retentionDueAt).not.toBeNull();
      const closing = fakes.named('projectCase').at(-1);
      expect(closing.projection).toMatchObject({
        stage: 'closed',
        isOpen: false,
        retentionDueAt: state.retentionDueAt,
      });

      await env.sleep(Date.parse(state.retentionDueAt!) - (await env.currentTimeMs()) + MINUTE);
      await expect(latest.result()).resolves.toMatchObject({
        stage: 'erased',
        closeReason: 'system_error:credit_facts_missing',
      });
      expect(fakes.named('eraseLeadData').map((e) => e.reason)).toEqual(['retention_expired']);
    });
  });

  test('a case that fails for good before anyone consented to a credit assessment is erased at once, not after a retention period', async () => {
    const fakes = new FirstProjectionRefused();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput());
      await realTimeUntil('the first projection was refused', () => fakes.refused);
      await env.sleep(5 * MINUTE);
      const done = await within(env.client.workflow.getHandle(handle.workflowId).result(), 30_000);
      expect(done).toMatchObject({ stage: 'erased', closeReason: 'system_error:projection_refused' });
      expect(fakes.named('eraseLeadData')).toHaveLength(1);
    });
  });

  test('an erasure that finds no case ends the workflow cleanly: there is nothing left to erase', async () => {
    const fakes = new FakeActivities();
    fakes.eraseFails = ApplicationFailure.nonRetryable('case does not exist', 'case_not_found');
    await withWorker(env, fakes, async (tq) => {
      const handle = await startCase(env, tq, caseInput());
      await env.sleep(4 * DAY); // past the consent deadline
      await expect(handle.result()).resolves.toMatchObject({ stage: 'erased', closeReason: 'consent_timeout' });
      expect(fakes.named('eraseLeadData')).toHaveLength(1);
    });
  });
});
