import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { leadWorkflowId } from '../src/platform/temporal/names';
import { refusal } from './api-post';
import type { Bench } from './context';
import { runPool, sleep, waitFor, type PoolRun } from './load';

// What the figures drive through a bench (context.ts): intakes, cases in follow-up, contact attempts.

export interface IntakeRun extends PoolRun {
  caseIds: string[];
}

/** How `intakeBatch` treats a refusal: the measured figures stop on any; the fill retries the retryable ones. */
export interface IntakeMode {
  /** Retry a 503 that says `retryable` with the same body and Idempotency-Key, up to this many times. */
  retries: number;
}

const RETRY_PAUSE_MS = 1_000;

/**
 * One intake. A retryable refusal (the engine or the database was briefly too slow: nothing was
 * stored) is sent again as the same request, as a channel partner would; the API's idempotent
 * intake makes a repeat safe. Each retry is counted in `anomalies.fillRetries`.
 */
async function intakeOne(b: Bench, mode: IntakeMode): Promise<string> {
  const lead = b.newLead(false);
  const key = { 'idempotency-key': `bench-${randomUUID()}` };
  for (let attempt = 0; ; attempt++) {
    const res = await b.post('/v1/leads', b.channelToken, lead, key);
    if (res.status === 201) return String(res.body?.caseId);
    if (res.status !== 503 || res.body?.retryable !== true || attempt >= mode.retries) throw refusal('intake', res);
    b.anomalies.fillRetries++;
    b.log(
      `  intake answered 503 ${String(res.body?.code ?? '')}; sending it again (retry ${attempt + 1} of ${mode.retries})`,
    );
    await sleep(RETRY_PAUSE_MS);
  }
}

/**
 * `n` intakes through `POST /v1/leads` at `concurrency`. Done when every answer is 201 and every
 * case's workflow has reached its first stage: its first workflow task has completed (without
 * consent, the case then waits on its consent deadline; the intake wrote its projection). Checked
 * once the intakes have answered, by describing the workflows.
 */
export async function intakeBatch(
  b: Bench,
  n: number,
  concurrency: number,
  mode: IntakeMode = { retries: 0 },
): Promise<IntakeRun> {
  const caseIds: string[] = [];
  const t0 = performance.now();
  const run = await runPool(n, concurrency, async () => {
    caseIds.push(await intakeOne(b, mode));
  });
  // Newest first, a few at a time: workflow tasks run about in the order they were scheduled, so
  // once the newest cases are there the older ones mostly are too, and each is described about once.
  const pending = caseIds.map(leadWorkflowId);
  try {
    await waitFor(
      `${n} cases to reach their first stage`,
      async () => {
        while (pending.length > 0) {
          const newest = pending.slice(-concurrency);
          const done = await Promise.all(newest.map((id) => firstTaskCompleted(b, id)));
          const notDone = newest.filter((_, i) => !done[i]);
          pending.splice(pending.length - newest.length, newest.length, ...notDone);
          if (notDone.length > 0) return false;
        }
        return true;
      },
      300_000,
      20,
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}: ${n - pending.length} of ${n} did; ${await whyNotStarted(b, pending[0])}`,
      { cause: err },
    );
  }
  return { ...run, elapsedMs: performance.now() - t0, caseIds };
}

/**
 * Whether the workflow's first workflow task has completed: its history holds the completion
 * (event 4) and no workflow task is pending (one that failed or timed out is scheduled again).
 */
async function firstTaskCompleted(b: Bench, workflowId: string): Promise<boolean> {
  const d = await b.client.workflowService.describeWorkflowExecution({
    namespace: b.client.options.namespace,
    execution: { workflowId },
  });
  return Number(d.workflowExecutionInfo?.historyLength ?? 0) >= 4 && !d.pendingWorkflowTask;
}

/** For the error of a stuck run: the lead worker's state and the event history of a case that did not get there. */
async function whyNotStarted(b: Bench, workflowId: string): Promise<string> {
  const worker = await b.leadWorker.status().catch((e: Error) => e.message);
  const events = await b.client.workflow
    .getHandle(workflowId)
    .fetchHistory()
    .then(
      (h) =>
        (h.events ?? [])
          .map((e) => {
            const failure =
              e.workflowTaskFailedEventAttributes?.failure ?? e.activityTaskFailedEventAttributes?.failure;
            return `${e.eventType}${failure ? ` (${failure.message})` : ''}`;
          })
          .join(', '),
      (e: Error) => e.message,
    );
  return `lead worker ${JSON.stringify(worker)}; history: ${events}`;
}

export interface FollowUpCase {
  caseId: string;
  brokerId: string;
  token: string;
}

/** `n` cases with consent at intake, waited for until each is in follow_up with a broker assigned. */
export async function followUpCases(b: Bench, n: number): Promise<FollowUpCase[]> {
  const ids: string[] = [];
  await runPool(n, Math.min(n, 8), async () => {
    const res = await b.post('/v1/leads', b.channelToken, b.newLead(true));
    if (res.status !== 201) throw refusal('intake with consent', res);
    ids.push(String(res.body?.caseId));
  });
  let rows: { id: string; broker_id: string }[] = [];
  await waitFor(
    `${n} cases to reach follow_up`,
    async () => {
      rows = await b.db.query(
        `SELECT id, broker_id FROM lead_cases WHERE id = ANY($1::uuid[]) AND stage = 'follow_up' AND broker_id IS NOT NULL`,
        [ids],
      );
      return rows.length === ids.length;
    },
    120_000,
    100,
  );
  return Promise.all(
    rows.map(async (r) => ({ caseId: r.id, brokerId: r.broker_id, token: await b.brokerToken(r.broker_id) })),
  );
}

/** One contact attempt per call, spread over `cases` so that no case gets two at once. */
export async function contactAttempts(
  b: Bench,
  cases: FollowUpCase[],
  n: number,
  concurrency: number,
  offset = 0,
): Promise<PoolRun> {
  if (cases.length < concurrency) throw new Error('need at least as many cases as concurrent attempts');
  return runPool(n, concurrency, async (i) => {
    const c = cases[(offset + i) % cases.length];
    const res = await b.post(`/v1/leads/${c.caseId}/contact-attempts`, c.token, {
      channel: 'phone',
      purpose: 'service',
      outcome: 'no_answer',
    });
    if (res.status !== 201) throw refusal('contact attempt', res);
  });
}

/**
 * Fills the system up to `target` open cases (intakes without consent), `concurrency` at a time.
 * Filling to 100,000 takes over an hour on 2 cores, where the dev server now and then misses an
 * intake's deadline for starting its workflow: such an intake is retried rather than ending the run.
 */
export async function fillOpenCases(b: Bench, target: number): Promise<number> {
  const open = async () => (await b.db.query('SELECT count(*)::int AS n FROM lead_cases WHERE is_open'))[0].n as number;
  let now = await open();
  while (now < target) {
    const step = Math.min(target - now, 2_000);
    const t0 = performance.now();
    await intakeBatch(b, step, b.opts.fillConcurrency, { retries: 5 });
    now = await open();
    b.log(`  filled to ${now} open cases (${Math.round(step / ((performance.now() - t0) / 1000))}/s)`);
  }
  return now;
}
