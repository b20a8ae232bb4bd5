import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  isReadCall,
  readOnlySettings,
  startWebUiGateway,
  type RunningWebUiGateway,
} from '../../src/platform/temporal/web-ui-gateway';

/**
 * The gateway in front of the dev server's Web UI, against a stand-in UI server (records what
 * reaches it; serves the settings the real one sends) and a stand-in session check.
 */
const GOOD = 'g'.repeat(43);
const LEFT = 'l'.repeat(43); // a session that ends during the test
const SETTINGS = {
  Auth: { Enabled: false },
  Codec: { Endpoint: 'http://localhost:3000/v1/codec', PassAccessToken: false, IncludeCredentials: false },
  DisableWriteActions: false,
  WorkflowTerminateDisabled: false,
  WorkflowCancelDisabled: false,
  WorkflowSignalDisabled: false,
  WorkflowUpdateDisabled: false,
  WorkflowResetDisabled: false,
  WorkflowPauseDisabled: false,
  BatchActionsDisabled: false,
  StartWorkflowDisabled: false,
  ActivityCommandsDisabled: false,
  RefreshWorkflowCountsDisabled: false,
  Version: '2.54.1',
};

let upstream: Server;
let sessions: Server;
let gateway: RunningWebUiGateway;
const reached: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
const live = new Set([GOOD, LEFT]);

const listen = (s: Server) =>
  new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

beforeAll(async () => {
  upstream = createServer((req, res) => {
    reached.push({ method: req.method!, url: req.url!, headers: req.headers });
    if (req.url === '/api/v1/settings')
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(SETTINGS));
    res
      .writeHead(200, { 'content-type': 'text/plain', 'set-cookie': '_csrf=abc; Path=/; SameSite=Strict' })
      .end(`upstream ${req.method} ${req.url}`);
  });
  sessions = createServer((req, res) => {
    const m = /lce_session=([^;]+)/.exec(req.headers.cookie ?? '');
    const ok = req.url === '/v1/session/current' && m && live.has(m[1]!);
    res
      .writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      .end(ok ? '{"sub":"m1","role":"manager"}' : '{"code":"invalid_session"}');
  });
  const [upPort, sessionPort] = [await listen(upstream), await listen(sessions)];
  gateway = await startWebUiGateway({
    port: 0,
    upstream: { host: '127.0.0.1', port: upPort },
    signInUrl: 'http://localhost:3000/v1/session',
    sessionCheckUrl: `http://127.0.0.1:${sessionPort}/v1/session/current`,
    cacheMs: 0,
  });
});
afterAll(async () => {
  await gateway?.close();
  upstream?.closeAllConnections();
  sessions?.closeAllConnections();
  await Promise.all([upstream, sessions].map((s) => new Promise((r) => s?.close(r))));
});
beforeEach(() => (reached.length = 0));

const call = (path: string, init: RequestInit & { session?: string } = {}) =>
  fetch(`http://127.0.0.1:${gateway.port}${path}`, {
    redirect: 'manual',
    ...init,
    headers: {
      ...(init.session ? { cookie: `theme=dark; lce_session=${init.session}` } : {}),
      ...(init.headers as Record<string, string>),
    },
  });

describe('the Web UI gateway', () => {
  test('refuses, with 403, the UI API calls that act on workflows, schedules and batches, signed in or not; none reaches the UI server', async () => {
    const writes: [string, string][] = [
      ['POST', '/api/v1/namespaces/default/workflows/lead-1/terminate'],
      ['POST', '/api/v1/namespaces/default/workflows/lead-1/cancel'],
      ['POST', '/api/v1/namespaces/default/workflows/lead-1/signal/withdrawConsent'],
      ['POST', '/api/v1/namespaces/default/workflows/lead-1/update/legalHold'],
      ['POST', '/api/v1/namespaces/default/workflows/lead-1/reset'],
      ['POST', '/api/v1/namespaces/default/workflows/lead-1'],
      ['POST', '/api/v1/namespaces/default/batch-operations/b1'],
      ['POST', '/api/v1/namespaces/default/schedules/retention-sweep/patch'],
      ['DELETE', '/api/v1/namespaces/default/schedules/retention-sweep'],
      ['PUT', '/api/v1/namespaces/default'],
      ['PATCH', '/api/v1/namespaces/default/workflows/lead-1'],
      // A query's path that walks out of the query, or hides a slash.
      ['POST', '/api/v1/namespaces/default/workflows/lead-1/query/..%2Fterminate'],
      ['POST', '/api/v1/namespaces/default/workflows/lead-1/query/../../terminate'],
    ];
    for (const [method, path] of writes) {
      for (const session of [GOOD, undefined]) {
        const res = await call(path, { method, session, headers: { 'content-type': 'application/json' }, body: '{}' });
        expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
        expect(((await res.json()) as { code: string }).code).toBe('web_ui_read_only');
      }
    }
    // A method override header does not turn a read into a write either.
    await call('/api/v1/namespaces/default/workflows', {
      session: GOOD,
      headers: { 'x-http-method-override': 'DELETE' },
    });
    expect(reached.map((r) => r.method)).toEqual(['GET']);
    expect(reached[0]!.headers['x-http-method-override']).toBeUndefined();
  });

  test("serves the UI's settings with every write action and batch action off, and the codec called with credentials", async () => {
    const res = await call('/api/v1/settings', { session: GOOD });
    expect(res.status).toBe(200);
    const settings = (await res.json()) as Record<string, unknown>;
    expect(settings).toMatchObject({
      DisableWriteActions: true,
      BatchActionsDisabled: true,
      StartWorkflowDisabled: true,
      WorkflowTerminateDisabled: true,
      WorkflowCancelDisabled: true,
      WorkflowSignalDisabled: true,
      WorkflowUpdateDisabled: true,
      WorkflowResetDisabled: true,
      ActivityCommandsDisabled: true,
      Codec: { Endpoint: 'http://localhost:3000/v1/codec', IncludeCredentials: true },
      Version: '2.54.1',
    });
    expect(settings.RefreshWorkflowCountsDisabled).toBe(false); // reads stay as they were
    expect(readOnlySettings({ WorkflowSomethingNewDisabled: false }).WorkflowSomethingNewDisabled).toBe(true);
  });

  test('sends a browser without a session to the sign-in page, and answers other calls 401; nothing reaches the UI server', async () => {
    const page = await call('/namespaces/default/workflows/lead-1?x=1', {
      headers: { accept: 'text/html,application/xhtml+xml' },
    });
    expect(page.status).toBe(302);
    const to = new URL(page.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe('http://localhost:3000/v1/session');
    expect(to.searchParams.get('next')).toBe('/namespaces/default/workflows/lead-1?x=1');

    for (const session of [undefined, 'not-a-session', '%E0%A4%A', 'u'.repeat(43)]) {
      const api = await call('/api/v1/namespaces/default/workflows', { session });
      expect({ session, status: api.status }).toEqual({ session, status: 401 });
      expect(((await api.json()) as { code: string }).code).toBe('unauthenticated');
      const html = await call('/', { session, headers: { accept: 'text/html' } });
      expect(html.status).toBe(302);
    }
    expect(reached).toEqual([]);
  });

  test('lets a signed-in manager read (GET, and the POST of a workflow query), without passing the session cookie on', async () => {
    const list = await call('/api/v1/namespaces/default/workflows?query=x', { session: GOOD });
    expect(list.status).toBe(200);
    expect(await list.text()).toBe('upstream GET /api/v1/namespaces/default/workflows?query=x');
    expect(list.headers.get('set-cookie')).toContain('_csrf=abc');
    const query = await call('/api/v1/namespaces/default/workflows/lead-1/query/__temporal_workflow_metadata', {
      method: 'POST',
      session: GOOD,
      body: '{}',
    });
    expect(query.status).toBe(200);
    expect(reached.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /api/v1/namespaces/default/workflows?query=x',
      'POST /api/v1/namespaces/default/workflows/lead-1/query/__temporal_workflow_metadata',
    ]);
    for (const r of reached) expect(r.headers.cookie).toBe('theme=dark');
  });

  test('a session that ends is refused from its next request', async () => {
    expect((await call('/api/v1/namespaces', { session: LEFT })).status).toBe(200);
    live.delete(LEFT);
    expect((await call('/api/v1/namespaces', { session: LEFT })).status).toBe(401);
  });

  test('fails closed when the API cannot say who a session is: 503, and nothing reaches the UI server', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    const blind = await startWebUiGateway({
      port: 0,
      upstream: { host: '127.0.0.1', port: (upstream.address() as AddressInfo).port },
      signInUrl: 'http://localhost:3000/v1/session',
      sessionCheckUrl: `http://127.0.0.1:${port}/v1/session/current`,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${blind.port}/api/v1/namespaces`, {
        headers: { cookie: `lce_session=${GOOD}` },
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { code: string }).code).toBe('sign_in_unavailable');
      expect(reached).toEqual([]);
    } finally {
      await blind.close();
    }
  });

  test('classifies reads: GET and HEAD anywhere, POST only for a workflow query', () => {
    expect(isReadCall('GET', '/api/v1/namespaces/default/workflows/x/history')).toBe(true);
    expect(isReadCall('HEAD', '/')).toBe(true);
    expect(isReadCall('POST', '/api/v1/namespaces/default/workflows/lead-1/query/__stack_trace')).toBe(true);
    expect(isReadCall('POST', '/api/v1/namespaces/default/workflows/lead-1/query/__stack_trace?x=1')).toBe(true);
    expect(isReadCall('POST', '/api/v1/namespaces/default/workflows/lead-1/query/a/b')).toBe(false);
    expect(isReadCall('POST', '/api/v1/namespaces/default/workflows/lead-1/signal/x')).toBe(false);
    expect(isReadCall('OPTIONS', '/api/v1/settings')).toBe(false);
  });
});
