import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type {
  ComplaintActivities,
  ComplaintEventInput,
  ComplaintNotificationInput,
} from '../../src/modules/complaint/contract';
import { parsePolicy } from '../../src/platform/config/policy';
import { complaintWorkflowId } from '../../src/modules/complaint/names';
import { complaintCase } from '../../src/modules/complaint/workflow';
import type { ComplaintCaseInput, ComplaintFacts } from '../../src/modules/complaint/messages';
import { stateQuery } from '../../src/modules/lead/messages';
import { FakeActivities } from './harness';

/**
 * The lead case's fake activities plus the complaint's: a complaint test can run both workflows on
 * one worker (the harassment path signals the case).
 */
export class ComplaintFakes extends FakeActivities {
  /** When set, recordComplaintEvent fails with it (an unreachable database), and is retried. */
  recordComplaintEventFails: Error | null = null;

  events(kind?: ComplaintEventInput['kind']): ComplaintEventInput[] {
    return this.named('recordComplaintEvent').filter((e: ComplaintEventInput) => !kind || e.kind === kind);
  }
  complaintNotifications(kind?: ComplaintNotificationInput['kind']): ComplaintNotificationInput[] {
    return this.named('notifyAboutComplaint').filter((n: ComplaintNotificationInput) => !kind || n.kind === kind);
  }

  override build() {
    const rec =
      <T>(name: string, answer: () => T) =>
      async (input: any) => {
        this.calls.push({ name, input });
        return answer();
      };
    const complaint: ComplaintActivities = {
      projectComplaint: rec('projectComplaint', () => undefined),
      recordComplaintEvent: rec('recordComplaintEvent', () => {
        if (this.recordComplaintEventFails) throw this.recordComplaintEventFails;
      }),
      notifyAboutComplaint: rec('notifyAboutComplaint', () => undefined),
      eraseComplaintData: rec('eraseComplaintData', () => ({ erased: true })),
    };
    return { ...super.build(), ...complaint };
  }
}

export async function complaintInput(
  env: TestWorkflowEnvironment,
  facts: Partial<ComplaintFacts> = {},
  o: Partial<ComplaintCaseInput> = {},
): Promise<ComplaintCaseInput> {
  return {
    facts: {
      complaintId: randomUUID(),
      caseId: randomUUID(),
      channelId: 'ch-test',
      brokerId: 'b-1',
      category: 'service_attitude',
      priority: 'normal',
      priorityRaisedBy: [],
      doNotContact: false,
      keyScope: 'case',
      ...facts,
    },
    filedBy: 'compliance:c1',
    filedAt: new Date(await env.currentTimeMs()).toISOString(),
    // On the clock: most complaint tests are about the marks, not the working calendar.
    policy: parsePolicy({ businessHours: { deadlines: [] } }),
    ...o,
  };
}

const started: WorkflowHandle[] = [];

export async function startComplaint(env: TestWorkflowEnvironment, taskQueue: string, input: ComplaintCaseInput) {
  const handle = await env.client.workflow.start(complaintCase, {
    workflowId: complaintWorkflowId(input.facts.complaintId),
    taskQueue,
    args: [input],
  });
  started.push(handle);
  return handle;
}

/** Ends the complaints a test left running, so they do not hold the test server's clock. */
export async function terminateComplaints(): Promise<void> {
  for (const handle of started.splice(0)) await handle.terminate('test finished').catch(() => undefined);
}

/** Lets a lead case with consent at intake reach follow-up with a broker (a second of skipped time, or more on a busy machine). */
export async function untilInFollowUp(env: TestWorkflowEnvironment, lead: WorkflowHandle): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await env.sleep(1_000);
    const state = await lead.query(stateQuery);
    if (state.stage === 'follow_up' && state.brokerId) return;
  }
  throw new Error('the case did not reach follow-up');
}
