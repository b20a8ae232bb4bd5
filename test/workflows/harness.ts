import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError, type WorkflowClientInterceptor, type WorkflowHandle } from '@temporalio/client';
import { actorSeal, type Sealed, type VerifiedActor } from '../../src/platform/workflow/verified';
import { stampActivityOutcomes } from '../../src/platform/worker/activity-outcomes';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type {
  LeadActivities,
  MaintenanceActivities,
  NotificationInput,
  PrescreenResult,
} from '../../src/modules/lead/activities/contract';
import type { ChannelActivities, ReviewChannelInput } from '../../src/modules/channel/contract';
import { defaultPolicy, type Policy } from '../../src/platform/config/policy';
import type { ConsentPurpose } from '../../src/platform/domain/types';
import { temporalTestServerPath } from '../../src/platform/temporal/binaries';
import { leadCase } from '../../src/modules/lead/workflow';
import {
  costAcknowledgementUpdate,
  grantConsentUpdate,
  stateQuery,
  type LeadCaseInput,
  type LeadCaseState,
  type ProductMatch,
} from '../../src/modules/lead/messages';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/platform/temporal/search-attributes';
import { temporal } from '@temporalio/proto';

let runtimeInstalled = false;

/**
 * The test client sends messages as the API does, with their verified sender (src/platform/workflow/verified.ts).
 * A test names the sender in the fields the message carried before senders were verified (`by`,
 * `source`, `requestedBy` as `role:sub`; `reviewerId` of a risk officer; `brokerId` of the broker
 * acting, except on `assign`, where it names the new broker); the client moves it into `auth` and
 * drops the field. A message that already has `auth`, or that is not an object, goes as it is.
 */
const DEFAULT_SENDER: Record<string, VerifiedActor> = {
  grantConsent: { sub: 'test', role: 'channel' },
  acknowledgeCostDisclosure: { sub: 'test', role: 'channel' },
  withdrawConsent: { sub: 'test', role: 'channel' },
  review: { sub: 'r1', role: 'risk_officer' },
  requestHumanReview: { sub: 'c1', role: 'compliance' },
  assign: { sub: 'm1', role: 'manager' },
  legalHold: { sub: 'c1', role: 'compliance' },
  doNotContact: { sub: 'b-1', role: 'broker' },
  respond: { sub: 'c1', role: 'compliance' },
  escalateToGroup: { sub: 'c1', role: 'compliance' },
  close: { sub: 'c1', role: 'compliance' },
};
const fromLabel = (label: string): VerifiedActor => {
  const at = label.indexOf(':');
  return at > 0 ? { role: label.slice(0, at), sub: label.slice(at + 1) } : { role: 'channel', sub: label };
};
export function senderFields(
  message: string,
  arg: unknown,
): { fields: Record<string, unknown>; actor: VerifiedActor } | null {
  if (typeof arg !== 'object' || arg === null || 'auth' in arg) return null;
  const { by, source, requestedBy, reviewerId, auditedBy, ...fields } = arg as Record<string, unknown>;
  let actor = DEFAULT_SENDER[message] ?? { sub: 'system', role: 'system' };
  const label = [by, source, requestedBy].find((v) => typeof v === 'string') as string | undefined;
  if (label) actor = fromLabel(label);
  if (typeof reviewerId === 'string') actor = { sub: reviewerId, role: 'risk_officer' };
  if (auditedBy && typeof auditedBy === 'object') actor = auditedBy as VerifiedActor;
  if (
    message !== 'assign' &&
    typeof fields.brokerId === 'string' &&
    ['logContactAttempt', 'selectProduct', 'recordOutcome'].includes(message)
  ) {
    actor = { sub: fields.brokerId, role: 'broker' };
    delete fields.brokerId;
  }
  return { fields, actor };
}
/** A message's fields as a test writes them; the test client attaches the verified sender (`auth`) when it sends them. */
export const sent = (fields: object): Sealed<any> => fields as Sealed<any>;

const asTheApiSends: WorkflowClientInterceptor = {
  async startUpdate(input, next) {
    const updateId = input.options.updateId ?? randomUUID();
    const sender = senderFields(input.updateName, input.args[0]);
    if (!sender) return next({ ...input, options: { ...input.options, updateId } });
    const auth = actorSeal(input.workflowExecution.workflowId, input.updateName, updateId, sender.actor);
    return next({ ...input, args: [{ ...sender.fields, auth }], options: { ...input.options, updateId } });
  },
  async signal(input, next) {
    const sender = senderFields(input.signalName, input.args[0] ?? {});
    if (!sender) return next(input);
    const auth = actorSeal(input.workflowExecution.workflowId, input.signalName, randomUUID(), sender.actor);
    return next({ ...input, args: [{ ...sender.fields, auth }] });
  },
};

/** A time-skipping test server from the pinned binary (never downloaded). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
    client: { interceptors: { workflow: [asTheApiSends] } },
  });
  // The test server validates upserts against registered attributes, as a real cluster does.
  const types = temporal.api.enums.v1.IndexedValueType;
  const typeOf = {
    KEYWORD: types.INDEXED_VALUE_TYPE_KEYWORD,
    DATETIME: types.INDEXED_VALUE_TYPE_DATETIME,
    BOOL: types.INDEXED_VALUE_TYPE_BOOL,
    INT: types.INDEXED_VALUE_TYPE_INT,
  } as Record<string, number>;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, typeOf[k.type]])),
  });
  return env;
}

/** A match's cost fields as matching fills them (a 10,000 CNY, 12-month loan with no fees). */
function fakeCost(aprPct: number): Pick<ProductMatch, 'allInAprPct' | 'costDisclosure'> {
  return {
    allInAprPct: aprPct,
    costDisclosure: {
      ...{ principal: 10_000, termMonths: 12, repayment: 'equal_instalment', nominalAprPct: aprPct, received: 10_000 },
      ...{ fees: [], feesTotal: 0, allInAprPct: aprPct, compoundAprPct: aprPct, firstRepayment: 0, totalRepayment: 0 },
      ...{ method: 'irr_monthly_x12', disclosureHash: `fake-${aprPct}` },
    },
  };
}

/**
 * Activities that record what the workflow asked for and answer as a test sets them up.
 * Workflow tests isolate the workflow; the real activities are tested against Postgres elsewhere.
 */
export class FakeActivities {
  calls: { name: string; input: any }[] = [];
  prescreen: PrescreenResult = { tier: 'A', rulesFired: [], requiredDocuments: ['id_card_copy'] };
  matches: ProductMatch[] = [
    { productId: 'p-1', lenderId: 'l-1', rank: 1, reasons: ['all_in_cost_within_cap'], ...fakeCost(12) },
    { productId: 'p-2', lenderId: 'l-2', rank: 2, reasons: [], ...fakeCost(18) },
  ];
  brokers: string[] = ['b-1', 'b-2', 'b-3'];
  /** Channels the review finds; those in `suspend` come out suspended risk channels, the rest premium. */
  channels: string[] = [];
  suspend: string[] = [];
  /** When set, projectCase fails with it (a case row that never came). */
  projectCaseFails: Error | null = null;
  /** When set, recordConsentEvent fails with it (an unreachable database), and is retried. */
  recordConsentEventFails: Error | null = null;
  /** The same for recordDecision, eraseLeadData and assignBroker. */
  recordDecisionFails: Error | null = null;
  eraseFails: Error | null = null;
  assignBrokerFails: Error | null = null;
  /** What listOpenCasesOfBroker finds (the projection's open cases of the leaving broker). */
  openCasesOfBroker: string[] = [];

  named(name: string) {
    return this.calls.filter((c) => c.name === name).map((c) => c.input);
  }
  notifications(kind?: NotificationInput['kind']): NotificationInput[] {
    return this.named('notify').filter((n: NotificationInput) => !kind || n.kind === kind);
  }

  build(): LeadActivities & MaintenanceActivities & ChannelActivities {
    const rec =
      <T>(name: string, answer: (input: any) => T) =>
      async (input: any) => {
        this.calls.push({ name, input });
        return answer(input);
      };
    return {
      recordConsentEvent: rec('recordConsentEvent', () => {
        if (this.recordConsentEventFails) throw this.recordConsentEventFails;
      }),
      recordCostAcknowledgement: rec('recordCostAcknowledgement', () => undefined),
      projectCase: rec('projectCase', () => {
        if (this.projectCaseFails) throw this.projectCaseFails;
      }),
      prescreenLead: rec('prescreenLead', () => this.prescreen),
      matchLead: rec('matchLead', () => ({ matches: this.matches, excludedCount: 0 })),
      assignBroker: rec('assignBroker', (i: { excludeBrokerIds: string[] }) => {
        if (this.assignBrokerFails) throw this.assignBrokerFails;
        return { brokerId: this.brokers.find((b) => !i.excludeBrokerIds.includes(b)) ?? null };
      }),
      recordDecision: rec('recordDecision', () => {
        if (this.recordDecisionFails) throw this.recordDecisionFails;
      }),
      // Writes both in one go: tests see the log entry and the projection as the two writes they are.
      recordContactAttempt: async (i: { entry: unknown; case: unknown }) => {
        this.calls.push(
          { name: 'recordContactAttempt', input: i },
          { name: 'logContactAttempt', input: i.entry },
          { name: 'projectCase', input: i.case },
        );
      },
      notify: rec('notify', () => undefined),
      eraseLeadData: rec('eraseLeadData', () => {
        if (this.eraseFails) throw this.eraseFails;
        return { erased: true };
      }),
      listOpenCasesOfBroker: rec('listOpenCasesOfBroker', () => this.openCasesOfBroker),
      setBrokerActive: rec('setBrokerActive', () => undefined),
      followUpDigest: rec('followUpDigest', () => ({ breached: 0 })),
      retentionSweep: rec('retentionSweep', () => ({ erased: 0, caseIds: [] })),
      casesWithoutDeadline: rec('casesWithoutDeadline', () => ({ count: 0 })),
      planPostLoanCheckIns: rec('planPostLoanCheckIns', () => ({ planned: 0, pooled: 0, cancelled: 0 })),
      signalOrphanedIntakes: rec('signalOrphanedIntakes', () => ({ checked: 0, caseIds: [] })),
      listChannelsForReview: rec('listChannelsForReview', (i: { channelIds?: string[] }) =>
        this.channels.filter((c) => !i.channelIds || i.channelIds.includes(c)),
      ),
      reviewChannel: rec('reviewChannel', (i: ReviewChannelInput) => {
        const suspended = this.suspend.includes(i.channelId);
        return {
          channelId: i.channelId,
          gradeBefore: 'general' as const,
          gradeAfter: suspended ? ('risk' as const) : ('premium' as const),
          suspendedBefore: false,
          suspendedAfter: suspended,
          judged: true,
          overridden: false,
          changed: true,
        };
      }),
    };
  }
}

/**
 * The default policy (first contact and review in working time, 09:00-18:00 Shanghai), with every
 * day of the week worked: a test run on a Saturday then behaves as on a Monday.
 */
export const everyDayWorked = (): Policy => {
  const policy = defaultPolicy();
  return { ...policy, businessHours: { ...policy.businessHours, weekdays: [1, 2, 3, 4, 5, 6, 7] } };
};

export function caseInput(o: Partial<LeadCaseInput> & { policy?: Policy } = {}): LeadCaseInput {
  return {
    caseId: randomUUID(),
    facts: {
      channelId: 'ch-test',
      channelGrade: 'general',
      amountCny: 100_000,
      termMonths: 24,
      loanPurpose: 'consumption',
      ageBand: '30-39',
      provinceCode: '11',
      vulnerable: false,
      local: true,
    },
    submittedBy: 'channel:test',
    policy: everyDayWorked(),
    ...o,
  };
}

export const withConsent = (purposes: ConsentPurpose[] = ['credit_assessment', 'lender_sharing']) => ({
  noticeVersion: '2026-01',
  purposes,
});

/**
 * What a submission needs on record for a product of the fake matches: the customer's consent to
 * share with its lender, and their acknowledgement of its cost disclosure (by the broker `b-1`).
 */
export async function readyToSubmit(handle: WorkflowHandle, productId = 'p-1', brokerId = 'b-1'): Promise<void> {
  const match = (await handle.query(stateQuery)).matches.find((m) => m.productId === productId)!;
  await handle.executeUpdate(grantConsentUpdate, {
    args: [sent({ noticeVersion: '2026-12', purposes: ['lender_sharing'], lenderIds: [match.lenderId] })],
  });
  await handle.executeUpdate(costAcknowledgementUpdate, {
    args: [sent({ productId, disclosureHash: match.costDisclosure.disclosureHash, by: `broker:${brokerId}` })],
  });
}

/** Runs `fn` with a worker (fake activities) on a fresh task queue of the test environment. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  fakes: FakeActivities,
  fn: (taskQueue: string) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: process.env.WORKFLOW_BUNDLE_PATH! },
    interceptors: { activity: [stampActivityOutcomes] },
    activities: fakes.build(),
  });
  const run = async () => {
    try {
      return await fn(taskQueue);
    } finally {
      // A workflow left running would hold the shared test server's clock for the next test.
      for (const handle of started.splice(0)) await handle.terminate('test finished').catch(() => undefined);
    }
  };
  return worker.runUntil(run());
}

const started: WorkflowHandle[] = [];

export async function startCase(env: TestWorkflowEnvironment, taskQueue: string, input: LeadCaseInput) {
  const handle = await env.client.workflow.start(leadCase, {
    workflowId: leadWorkflowId(input.caseId),
    taskQueue,
    args: [input],
  });
  started.push(handle);
  return handle;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Milliseconds from `nowMs` to the next 10:00 in Asia/Shanghai (UTC+8): a time when contact is allowed. */
export function untilShanghaiMorning(nowMs: number): number {
  const shanghai = new Date(nowMs + 8 * HOUR);
  const target = Date.UTC(shanghai.getUTCFullYear(), shanghai.getUTCMonth(), shanghai.getUTCDate(), 10) - 8 * HOUR;
  return target > nowMs ? target - nowMs : target + DAY - nowMs;
}

/** The stable code an Update was refused with (its ApplicationFailure type), or 'accepted'. */
export async function refusal(update: Promise<unknown>): Promise<string | undefined> {
  try {
    await update;
    return 'accepted';
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return (err.cause as { type?: string }).type;
    throw err;
  }
}

/**
 * Lets a just-started or just-signalled case run to where it waits on a person or a timer: a
 * second of workflow time (as a broker would take), then, with the clock held, until the case is
 * out of its automatic stages with no activity pending (and `done` holds, when given). A second of
 * skipped time alone is not enough on a busy machine: the worker may not have run yet.
 */
export async function settled(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  done: (s: LeadCaseState) => boolean = () => true,
  timeoutMs = 60_000,
): Promise<LeadCaseState> {
  await env.sleep(1_000);
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [state, described] = await Promise.all([handle.query(stateQuery), handle.describe()]);
    const automatic =
      state.stage === 'prescreening' || state.stage === 'matching' || (state.stage === 'follow_up' && !state.brokerId);
    if (!automatic && (described.raw.pendingActivities?.length ?? 0) === 0 && done(state)) return state;
    if (Date.now() > until) throw new Error(`the case did not settle: stage ${state.stage}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits (in real time: the test server's clock stands still meanwhile) until a local write that keeps
 * failing has used up its local retries (about 13 s) and waits on a back-off timer in the history:
 * from then on the workflow task is closed and skipped time can fire the workflow's own timers.
 */
export async function untilWriteWaitsOnBackoff(handle: WorkflowHandle, patienceMs = 60_000): Promise<void> {
  const backoffTimer = (e: temporal.api.history.v1.IHistoryEvent) =>
    Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? Infinity) < 3600;
  await realTimeUntil(
    'the write waits on a back-off timer',
    async () => ((await handle.fetchHistory()).events ?? []).some(backoffTimer),
    patienceMs,
  );
}

/** Polls until `done` holds, in real time (the worker runs while the test server's clock stands still). */
export async function realTimeUntil(
  what: string,
  done: () => boolean | Promise<boolean>,
  patienceMs = 60_000,
): Promise<void> {
  const until = Date.now() + patienceMs;
  while (!(await done())) {
    if (Date.now() > until) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
