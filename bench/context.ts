import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { signToken } from '../src/platform/http/auth';
import type { IntakeRequest } from '../src/modules/lead/schemas/leads';
import { loadConfig, type Config } from '../src/platform/config';
import { openDatabase } from '../src/platform/db/data-source';
import { postJson, type ApiAnswer } from './api-post';
import { startChild, type BenchChild } from './child-protocol';
import { leadGenerator } from './leads';
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
