import { randomBytes } from 'node:crypto';
import { ConfigError, ENV_NAMES, loadConfig } from '../../src/platform/config';
import {
  startHealthServer,
  type RunningHealthServer,
  type WorkerHealth,
} from '../../src/platform/worker/health-server';

/** A production environment with real (random) secrets. */
const production = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://lead_api:pw@db:5432/leads',
  JWT_SECRET: randomBytes(48).toString('base64'),
  MASTER_KEY: randomBytes(32).toString('base64'),
  BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
  CODEC_KEY: randomBytes(32).toString('base64'),
  AUDIT_KEY: randomBytes(32).toString('base64'),
  ...env,
});

describe("the worker process's settings", () => {
  test('schedules are created at worker start by default in development and test, and left to the job otherwise', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).TEMPORAL_CREATE_SCHEDULES).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).TEMPORAL_CREATE_SCHEDULES).toBe(true);
    expect(loadConfig(production()).TEMPORAL_CREATE_SCHEDULES).toBe(false);
    expect(loadConfig(production({ TEMPORAL_CREATE_SCHEDULES: 'true' })).TEMPORAL_CREATE_SCHEDULES).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test', TEMPORAL_CREATE_SCHEDULES: 'false' }).TEMPORAL_CREATE_SCHEDULES).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test', TEMPORAL_CREATE_SCHEDULES: '' }).TEMPORAL_CREATE_SCHEDULES).toBe(true);
    expect(() => loadConfig({ NODE_ENV: 'test', TEMPORAL_CREATE_SCHEDULES: 'yes' })).toThrow(
      /TEMPORAL_CREATE_SCHEDULES/,
    );
  });

  test('the SDK metrics listen on 0.0.0.0:9464 and the health endpoint on 9465 unless told otherwise', () => {
    const cfg = loadConfig(production());
    expect(cfg.WORKER_METRICS_ADDRESS).toBe('0.0.0.0:9464');
    expect(cfg.WORKER_HEALTH_PORT).toBe(9465);
    const off = loadConfig({ NODE_ENV: 'test', WORKER_METRICS_ADDRESS: '', WORKER_HEALTH_PORT: '0' });
    expect([off.WORKER_METRICS_ADDRESS, off.WORKER_HEALTH_PORT]).toEqual(['', 0]);
    for (const ok of ['127.0.0.1:9100', '[::]:9464', '[::1]:1'])
      expect(loadConfig({ NODE_ENV: 'test', WORKER_METRICS_ADDRESS: ok }).WORKER_METRICS_ADDRESS).toBe(ok);
  });

  test('a metrics address that is not IP:port, or a health port out of range, stops the process naming it', () => {
    for (const bad of ['localhost:9464', '9464', '0.0.0.0', '0.0.0.0:0', '0.0.0.0:70000', '999.1.1.1:9464']) {
      expect(() => loadConfig({ NODE_ENV: 'test', WORKER_METRICS_ADDRESS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ NODE_ENV: 'test', WORKER_METRICS_ADDRESS: bad })).toThrow(/WORKER_METRICS_ADDRESS/);
    }
    for (const bad of ['-1', '65536', 'x'])
      expect(() => loadConfig({ NODE_ENV: 'test', WORKER_HEALTH_PORT: bad })).toThrow(/WORKER_HEALTH_PORT/);
  });

  test('the new variables are listed for the deployment checks', () => {
    expect(ENV_NAMES).toEqual(
      expect.arrayContaining(['TEMPORAL_CREATE_SCHEDULES', 'WORKER_METRICS_ADDRESS', 'WORKER_HEALTH_PORT']),
    );
  });
});

describe("the worker's health endpoint", () => {
  let states: WorkerHealth[] = [];
  let server: RunningHealthServer;
  beforeAll(async () => {
    server = await startHealthServer({ port: 0, host: '127.0.0.1', workers: () => states });
  });
  afterAll(() => server.close());
  const get = async (path = '/healthz', method = 'GET') => {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
    return { status: res.status, body: (method === 'HEAD' ? null : await res.json()) as { status: string } | null };
  };
  const both = (lead: string, maintenance: string) => [
    { name: 'lead', state: lead },
    { name: 'maintenance', state: maintenance },
  ];

  test('answers 503 before the workers exist and while either is not running yet', async () => {
    states = [];
    expect(await get()).toEqual({ status: 503, body: { status: 'unavailable', workers: {} } });
    states = both('INITIALIZED', 'RUNNING');
    expect(await get()).toEqual({
      status: 503,
      body: { status: 'unavailable', workers: { lead: 'INITIALIZED', maintenance: 'RUNNING' } },
    });
  });

  test('answers 200 while both workers are RUNNING, with their states', async () => {
    states = both('RUNNING', 'RUNNING');
    expect(await get()).toEqual({
      status: 200,
      body: { status: 'ok', workers: { lead: 'RUNNING', maintenance: 'RUNNING' } },
    });
    expect((await get('/healthz?probe=liveness')).status).toBe(200);
    expect((await get('/healthz', 'HEAD')).status).toBe(200);
  });

  test.each([
    ['RUNNING', 'DRAINING'],
    ['STOPPING', 'RUNNING'],
    ['FAILED', 'RUNNING'],
    ['STOPPED', 'STOPPED'],
  ])('answers 503 once a worker is %s / %s', async (lead, maintenance) => {
    states = both(lead, maintenance);
    const { status, body } = await get();
    expect(status).toBe(503);
    expect(body?.status).toBe('unavailable');
  });

  test('serves nothing else', async () => {
    states = both('RUNNING', 'RUNNING');
    expect((await get('/metrics')).status).toBe(404);
    expect((await get('/', 'GET')).status).toBe(404);
    expect((await get('/healthz', 'POST')).status).toBe(405);
  });

  test('a port already taken is an error at start, not a silent health check that never answers', async () => {
    await expect(startHealthServer({ port: server.port, host: '127.0.0.1', workers: () => [] })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
