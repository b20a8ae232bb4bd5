import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { signToken } from '../src/platform/http/auth';
import type { IntakeRequest } from '../src/modules/lead/schemas/leads';
import { loadConfig, type Config } from '../src/platform/config';
import { openDatabase } from '../src/platform/db/data-source';
import { leadWorkflowId } from '../src/platform/temporal/names';
import { startChild, type BenchChild } from './child-protocol';
import { leadGenerator } from './leads';
import { runPool, sleep, waitFor, type PoolRun } from './load';
import type { BenchServers } from './stack';
import type { WorkerChildConfig } from './worker-child';

export interface BenchOptions {
  /** Intakes per side for the intake figure. */
  intakes: number;
  concurrency: number;
  /** Update round trips per side for the case-action figure. */
  updates: number;
  updateConcurrency: number;
  /** Memory figure: cases waiting on a deadline at the last sample (the first is a tenth of it). */
  cases: number;
  /** Figure 4's levels of open cases after the first (1,000), ascending. */
  open: number[];
  /** Cases erased per side. */
  erase: number;
  eraseBatch: number;
  rounds: number;
  fillConcurrency: number;
  /** The lead worker's cache outside figure 3; unset: the worker's own default (src/worker/worker.ts). */
  leadCache?: number;
  /** Figure 6: case rows in the reports' own database. */
  reportCases: number;
  reportRuns: number;
  out: string;
}

export interface Bench {
  opts: BenchOptions;
  servers: BenchServers;
  cfg: Config;
  /** The bench's own pool, for reading projections and for the erasure figure. */
  db: DataSource;
  /** A plain client (no payload codec): the bare engine the baselines measure. */
  client: Client;
  channelId: string;
  leadQueue: string;
  bareQueue: string;
  api: BenchChild;
  leadWorker: BenchChild;
  bareWorker: BenchChild;
  restartWorker(kind: 'lead' | 'bare', maxCachedWorkflows?: number): Promise<BenchChild>;
  post(path: string, token: string, body: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  channelToken: string;
  brokerToken(brokerId: string): Promise<string>;
  newLead(withConsent: boolean): IntakeRequest;
  log(line: string): void;
  /** Things the run saw go wrong that are not the bench's own errors; reported beside the table. */
  anomalies: { fillRetries: number };
}

const BROKERS = 4;

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown> | null;
}

/**
 * Everything a figure needs: the API and the two workers as child processes on their own task
 * queues, a bench channel with its own brokers, tokens, and a policy without quiet hours or a
 * daily contact cap (the bench runs at any hour and logs many attempts per case).
 */
export async function createBench(
  opts: BenchOptions,
  servers: BenchServers,
  onStop: (stop: () => Promise<void>) => void,
  log: (line: string) => void,
): Promise<Bench> {
  const run = randomUUID().slice(0, 8);
  const channelId = `bench-${run}`;
  const leadQueue = `bench-lead-cases-${run}`;
  const bareQueue = `bench-bare-${run}`;
  const childEnv = benchChildEnv(servers, leadQueue);
  const cfg = loadConfig({ ...process.env, ...childEnv });

  const db = await openDatabase(servers.databaseUrl, { poolMax: 20, audit: cfg });
  onStop(() => db.destroy());
  await seedBenchChannel(db, channelId);

  const connection = await Connection.connect({ address: servers.temporalAddress });
  onStop(() => connection.close());
  const client = new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE });

  const children = new Map<'lead' | 'bare' | 'api', BenchChild>();
  onStop(async () => {
    await Promise.all([...children.values()].map((c) => c.stop()));
  });
  const startWorker = async (kind: 'lead' | 'bare', maxCachedWorkflows?: number) => {
    const config: WorkerChildConfig = {
      kind,
      taskQueue: kind === 'lead' ? leadQueue : bareQueue,
      bundlePath: kind === 'lead' ? servers.leadBundle : servers.bareBundle,
      maxCachedWorkflows,
    };
    const child = await startChild(`${kind} worker`, 'worker-child.ts', config, childEnv);
    children.set(kind, child);
    return child;
  };
  const [api, leadWorker, bareWorker] = await Promise.all([
    startChild('api', 'api-child.ts', {}, childEnv).then((c) => (children.set('api', c), c)),
    startWorker('lead', opts.leadCache),
    startWorker('bare'),
  ]);
  // The load generator's own CPU shares the cores with what it measures: plain node:http on kept-alive
  // connections costs it a fraction of what fetch does.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  onStop(async () => agent.destroy());

  const tokens = new Map<string, string>();
  const brokerToken = async (brokerId: string) => {
    if (!tokens.has(brokerId))
      tokens.set(brokerId, await signToken(cfg, { sub: brokerId, role: 'broker', team: channelId }));
    return tokens.get(brokerId)!;
  };
  const bench: Bench = {
    opts,
    servers,
    cfg,
    db,
    client,
    channelId,
    leadQueue,
    bareQueue,
    api,
    leadWorker,
    bareWorker,
    log,
    brokerToken,
    anomalies: { fillRetries: 0 },
    channelToken: await signToken(cfg, { sub: `${channelId}-partner`, role: 'channel', channelId }),
    async restartWorker(kind, maxCachedWorkflows) {
      await children.get(kind)?.stop();
      const child = await startWorker(kind, maxCachedWorkflows);
      if (kind === 'lead') bench.leadWorker = child;
      else bench.bareWorker = child;
      return child;
    },
    post: (path, token, body, headers = {}) =>
      postJson(agent, api.port!, path, { ...headers, authorization: `Bearer ${token}` }, body),
    newLead: (
      (gen) => (withConsent: boolean) =>
        gen(channelId, withConsent)
    )(leadGenerator()),
  };
  return bench;
}

/** The children's environment, with a policy that lets the bench contact at any hour, without a daily cap. */
function benchChildEnv(servers: BenchServers, leadQueue: string): NodeJS.ProcessEnv {
  const policyFile = join(servers.dir, 'policy.json');
  writeFileSync(
    policyFile,
    JSON.stringify({ contact: { quietHoursStart: '00:00', quietHoursEnd: '00:00', maxAttemptsPerDay: 1_000_000 } }),
  );
  return {
    DATABASE_URL: servers.databaseUrl,
    TEMPORAL_ADDRESS: servers.temporalAddress,
    TEMPORAL_TASK_QUEUE: leadQueue,
    POLICY_FILE: policyFile,
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
    LOG_PRETTY: '0',
    NODE_ENV: 'development',
  };
}

/** A channel of this run's own, with its brokers, so the run's cases share nothing with others. */
async function seedBenchChannel(db: DataSource, channelId: string): Promise<void> {
  await db.query(
    `INSERT INTO channels (id, name, type, partner, grade, team) VALUES ($1, 'bench channel', 'online', 'bench', 'premium', $1)`,
    [channelId],
  );
  const brokerIds = Array.from({ length: BROKERS }, (_, i) => `${channelId}-b${i + 1}`);
  for (const id of brokerIds)
    await db.query(`INSERT INTO brokers (id, display_name, team, active) VALUES ($1, 'bench broker', $2, true)`, [
      id,
      channelId,
    ]);
}

/**
 * A POST of JSON to the API on 127.0.0.1; the answer's status and parsed body. A kept-alive socket
 * the server closed as idle just as it was reused fails before the server read anything: such a
 * request is sent once more on a new socket.
 */
async function postJson(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
  body: unknown,
): Promise<ApiAnswer> {
  const payload = Buffer.from(JSON.stringify(body));
  for (let attempt = 0; ; attempt++) {
    try {
      return await postOnce(agent, port, path, headers, payload);
    } catch (err) {
      if (attempt > 0 || !(err as { reusedSocket?: boolean }).reusedSocket) throw err;
    }
  }
}

function postOnce(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string>,
  payload: Buffer,
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : null });
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      // Only a request on a reused socket that the server reset before answering may be sent again.
      reject(
        Object.assign(err, {
          reusedSocket: req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up'),
        }),
      );
    });
    req.end(payload);
  });
}

/** A problem answer as the bench reports it: the status and the stable code, never the body's data. */
export const refusal = (what: string, res: ApiAnswer) =>
  new Error(`${what} answered ${res.status} ${String(res.body?.code ?? '')}`.trim());

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
