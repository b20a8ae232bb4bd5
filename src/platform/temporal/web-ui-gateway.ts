import { createHash } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A read-only, signed-in front for the dev server's embedded Temporal Web UI, which has no switch
 * for its write actions and no sign-in. It serves the UI's port on loopback and:
 * - refuses, with 403, every call other than GET/HEAD, except the workflow queries the UI reads
 *   with POST (the stack trace, the current details): Cancel, Terminate, Reset, Signal, Update,
 *   Start, schedules and batch jobs never reach the UI server;
 * - rewrites the UI's settings so that it hides those buttons, and includes credentials (the
 *   session cookie) in its codec calls;
 * - lets through only a manager or compliance officer signed in at the API's `/v1/session` (it
 *   asks the API who the session cookie is); a browser without one is sent to the sign-in page.
 * Managers inspect here; people act on cases through the API.
 */
export interface WebUiGatewayOptions {
  /** Where the gateway listens (the Web UI's public port), on loopback unless `host` says otherwise. */
  port: number;
  host?: string;
  /** The dev server's own UI, on an internal loopback port. */
  upstream: { host: string; port: number };
  /** The sign-in page as the browser reaches it, e.g. http://localhost:3000/v1/session. */
  signInUrl: string;
  /** The API's `GET /v1/session/current`, as this process reaches it. */
  sessionCheckUrl: string;
  sessionCookie?: string;
  /** How long a confirmed session is trusted before the API is asked again. */
  cacheMs?: number;
}

export interface RunningWebUiGateway {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** The one POST the UI makes to read: QueryWorkflow (stack trace, workflow metadata, queries). */
const QUERY_CALL = /^\/api\/v1\/namespaces\/([^/]+)\/workflows\/([^/]+)\/query\/([^/]+)$/;

function safeSegment(raw: string): boolean {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    return false;
  }
  return s !== '.' && s !== '..' && !/[/\\]/.test(s);
}

/** Whether the gateway lets a call through to the UI server: reads only. */
export function isReadCall(method: string, rawUrl: string): boolean {
  const path = rawUrl.split('?')[0]!;
  if (method === 'GET' || method === 'HEAD') return true;
  if (method !== 'POST') return false;
  const m = QUERY_CALL.exec(path);
  return m !== null && m.slice(1).every(safeSegment);
}

/** Every switch of the UI's settings that hides a write action, on; codec calls with credentials. */
export function readOnlySettings(settings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...settings,
    DisableWriteActions: true,
    BatchActionsDisabled: true,
    StartWorkflowDisabled: true,
  };
  for (const key of Object.keys(settings)) {
    if (/^(Workflow\w+|Activity\w+)Disabled$/.test(key)) out[key] = true;
  }
  for (const key of [
    'WorkflowTerminateDisabled',
    'WorkflowCancelDisabled',
    'WorkflowSignalDisabled',
    'WorkflowUpdateDisabled',
    'WorkflowResetDisabled',
    'WorkflowPauseDisabled',
    'ActivityCommandsDisabled',
  ]) {
    out[key] = true;
  }
  const codec = settings.Codec;
  if (codec && typeof codec === 'object')
    out.Codec = { ...(codec as Record<string, unknown>), IncludeCredentials: true };
  return out;
}

const SESSION_VALUE = /^[A-Za-z0-9_-]{16,200}$/;
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'x-http-method-override',
  'x-method-override',
];

function problem(res: ServerResponse, status: number, code: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ status, code, detail }));
}

export async function startWebUiGateway(opts: WebUiGatewayOptions): Promise<RunningWebUiGateway> {
  const cookieName = opts.sessionCookie ?? 'lce_session';
  const signedIn = sessionCheck(opts.sessionCheckUrl, cookieName, opts.cacheMs ?? 2_000);
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (!isReadCall(method, url)) {
      req.resume();
      return problem(res, 403, 'web_ui_read_only', 'the Web UI is for inspection: act on cases through the API');
    }
    const { session, rest } = splitCookies(req.headers.cookie, cookieName);
    signedIn(session).then(
      (ok) => {
        if (ok) return proxy(opts.upstream, req, res, rest);
        req.resume();
        refuseSignedOut(req, res, opts.signInUrl);
      },
      () => {
        req.resume();
        problem(res, 503, 'sign_in_unavailable', 'the API that checks sign-ins did not answer; retry shortly');
      },
    );
  });
  // The UI makes no upgrade requests; nothing but plain HTTP goes through.
  server.on('upgrade', (_req, socket) => socket.destroy());

  await listen(server, opts.port, opts.host ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The session's value and the Cookie header without it (the UI server has no use for it). */
function splitCookies(header: string | undefined, cookieName: string): { session?: string; rest: string } {
  let session: string | undefined;
  const rest: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === cookieName) session = part.slice(eq + 1).trim();
    else if (part.trim()) rest.push(part.trim());
  }
  return { session, rest: rest.join('; ') };
}

/** Whether a session is a manager's or compliance officer's, as the API says; its answers cached a moment. */
function sessionCheck(
  sessionCheckUrl: string,
  cookieName: string,
  cacheMs: number,
): (session: string | undefined) => Promise<boolean> {
  // sha256(session) → until when the API's last answer stands: a stale cookie resent by every
  // request of a page costs the API (and its per-client limit on failed sign-ins) one check.
  const answers = new Map<string, { ok: boolean; until: number }>();
  return async (session) => {
    if (!session || !SESSION_VALUE.test(session)) return false;
    const key = createHash('sha256').update(session).digest('hex');
    const known = answers.get(key);
    if (known && known.until > Date.now()) return known.ok;
    const res = await fetch(sessionCheckUrl, {
      headers: { cookie: `${cookieName}=${session}` },
      signal: AbortSignal.timeout(5_000),
    });
    await res.body?.cancel();
    if (res.status !== 401 && res.status !== 403 && !res.ok) throw new Error(`session check answered ${res.status}`);
    if (answers.size > 1_000) answers.clear();
    answers.set(key, { ok: res.ok, until: Date.now() + cacheMs });
    return res.ok;
  };
}

/** A browser asking for a page is sent to sign in, and back here after; any other call gets 401. */
function refuseSignedOut(req: IncomingMessage, res: ServerResponse, signInUrl: string): void {
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const wantsPage = method === 'GET' && /text\/html/.test(req.headers.accept ?? '');
  if (wantsPage) {
    const to = new URL(signInUrl);
    to.searchParams.set('next', url.startsWith('/') ? url : '/');
    res.writeHead(302, { location: to.toString(), 'cache-control': 'no-store' });
    res.end();
    return;
  }
  problem(res, 401, 'unauthenticated', `sign in at ${signInUrl} as a manager or compliance officer`);
}

function proxy(
  target: WebUiGatewayOptions['upstream'],
  req: IncomingMessage,
  res: ServerResponse,
  cookies: string,
): void {
  const isSettings = req.method === 'GET' && (req.url ?? '').split('?')[0] === '/api/v1/settings';
  const headers: OutgoingHttpHeaders = { ...req.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  if (cookies) headers.cookie = cookies;
  else delete headers.cookie;
  if (isSettings) {
    // Read and rewritten here: whole, plain, never a partial or a not-modified answer.
    headers['accept-encoding'] = 'identity';
    for (const h of ['range', 'if-range', 'if-none-match', 'if-modified-since']) delete headers[h];
  }
  const upstream = httpRequest(
    { host: target.host, port: target.port, method: req.method, path: req.url, headers },
    (up) => {
      const outHeaders = { ...up.headers };
      for (const h of HOP_BY_HOP) delete outHeaders[h];
      if (!isSettings || (up.statusCode ?? 500) !== 200) {
        res.writeHead(up.statusCode ?? 502, outHeaders);
        up.pipe(res);
        return;
      }
      sendReadOnlySettings(up, res, outHeaders);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) problem(res, 502, 'web_ui_unavailable', 'the Temporal Web UI server did not answer');
    else res.destroy();
  });
  req.pipe(upstream);
}

/** The UI server's settings, read whole and answered with every write action switched off. */
function sendReadOnlySettings(up: IncomingMessage, res: ServerResponse, outHeaders: IncomingHttpHeaders): void {
  const chunks: Buffer[] = [];
  up.on('data', (c: Buffer) => chunks.push(c));
  up.on('end', () => {
    let body: string;
    try {
      body = JSON.stringify(
        readOnlySettings(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>),
      );
    } catch {
      // Settings the gateway cannot read could leave the write buttons on: none at all.
      return problem(
        res,
        502,
        'web_ui_settings_unreadable',
        'the Web UI server sent settings the gateway could not make read-only',
      );
    }
    for (const h of ['content-encoding', 'etag', 'last-modified', 'content-range']) delete outHeaders[h];
    res.writeHead(200, { ...outHeaders, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  });
  up.on('error', () => res.destroy());
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
