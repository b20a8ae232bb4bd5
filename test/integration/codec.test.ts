import { request as httpRequest } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { leadWorkflowId } from '../../src/platform/temporal/names';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { signToken } from '../../src/platform/http/auth';
import { codecKeyring, WorkerCodec } from '../../src/platform/temporal/payload-codec';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

describe('encrypted Temporal payloads', () => {
  test("a case's raw history, search attributes and memo hold no personal data, and its payloads are encrypted", async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const lead = aLead({ channelId: ch.id, applicant: { name: '王小明' } });
    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
    await eventually(
      async () =>
        (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [body.caseId]))[0].stage === 'follow_up',
      'follow_up',
    );

    const raw = new Client({ connection: await Connection.connect({ address: stack.cfg.TEMPORAL_ADDRESS }) }); // no codec
    try {
      const handle = raw.workflow.getHandle(leadWorkflowId(body.caseId));
      const history = await handle.fetchHistory();
      const started = history.events![0].workflowExecutionStartedEventAttributes!;
      expect(Buffer.from(started.input!.payloads![0].metadata!.encoding!).toString()).toBe('binary/encrypted');
      const everything = JSON.stringify(history) + JSON.stringify(await handle.describe());
      for (const secret of [
        lead.applicant.name,
        lead.applicant.idNumber,
        lead.applicant.phone,
        Buffer.from(lead.applicant.idNumber).toString('base64'),
      ]) {
        expect(everything).not.toContain(secret);
      }
    } finally {
      await raw.connection.close();
    }
  });
});

describe('the codec routes for the Web UI', () => {
  const origin = () => stack.cfg.WEB_UI_ORIGIN;
  const call = (path: string, headers: Record<string, string>, body: unknown) =>
    fetch(`${stack.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: origin(), ...headers },
      body: JSON.stringify(body),
    });

  async function anEncodedInput() {
    const ch = await aChannel(stack.db);
    const { body } = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: null }),
    );
    const raw = new Client({ connection: await Connection.connect({ address: stack.cfg.TEMPORAL_ADDRESS }) });
    try {
      const history = await raw.workflow.getHandle(leadWorkflowId(body.caseId)).fetchHistory();
      const p = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
      const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
      return {
        caseId: body.caseId as string,
        payload: {
          metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, b64(v)])),
          data: b64(p.data!),
        },
      };
    } finally {
      await raw.connection.close();
    }
  }

  test('refuse an anonymous caller and a broker', async () => {
    const { payload } = await anEncodedInput();
    const anonymous = await call('/v1/codec/decode', {}, { payloads: [payload] });
    expect(anonymous.status).toBe(401);
    const broker = await call(
      '/v1/codec/decode',
      { authorization: `Bearer ${await signToken(stack.cfg, actors.broker())}` },
      { payloads: [payload] },
    );
    expect(broker.status).toBe(403);
  });

  test("decode a case's input for a manager's access token, with CORS for the Web UI, and audit it", async () => {
    const { caseId, payload } = await anEncodedInput();
    const res = await call(
      '/v1/codec/decode',
      { authorization: `Bearer ${await signToken(stack.cfg, actors.manager())}`, 'x-namespace': 'default' },
      { payloads: [payload] },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin());
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const decoded = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(decoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.payloads[0].data, 'base64').toString())).toMatchObject({ caseId });
    const [audit] = await stack.db.query(
      `SELECT actor_role, target_id FROM audit_events WHERE action = 'codec.decoded' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit).toEqual({ actor_role: 'manager', target_id: 'default' });
  });

  test('a manager signed in at /v1/session decodes with the session cookie the Web UI sends', async () => {
    const { caseId, payload } = await anEncodedInput();
    const signIn = await fetch(`${stack.baseUrl}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: await signToken(stack.cfg, actors.manager()) }),
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get('location')).toBe(origin());
    const cookie = signIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(/lce_session=.*HttpOnly/);
    const res = await call('/v1/codec/decode', { cookie: cookie.split(';')[0] }, { payloads: [payload] });
    expect(res.status).toBe(200);
    const decoded = (await res.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(decoded.payloads[0].data, 'base64').toString()).toContain(caseId);

    const brokerSignIn = await fetch(`${stack.baseUrl}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: await signToken(stack.cfg, actors.broker()) }),
      redirect: 'manual',
    });
    expect(brokerSignIn.status).toBe(403);
  });

  test('a sign-in form posted from another site is refused and sets no cookie (login CSRF)', async () => {
    const token = await signToken(stack.cfg, actors.manager());
    const crossSiteHeaders: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
    ];
    for (const headers of crossSiteHeaders) {
      const res = await fetch(`${stack.baseUrl}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ token }),
        redirect: 'manual',
      });
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([403, 'cross_site_sign_in']);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
    const sameSite = await fetch(`${stack.baseUrl}/v1/session`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: stack.baseUrl,
        'sec-fetch-site': 'same-origin',
      },
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
    expect(sameSite.status).toBe(303);
  });

  async function signIn(
    extra: Record<string, string> = {},
  ): Promise<{ res: Response; cookie: string; session: string }> {
    const res = await fetch(`${stack.baseUrl}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: await signToken(stack.cfg, actors.manager()), ...extra }),
      redirect: 'manual',
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    return { res, cookie, session: /lce_session=([^;]*)/.exec(cookie)?.[1] ?? '' };
  }

  test('the session cookie is an opaque ID, HttpOnly and SameSite=Strict on every path, Secure outside localhost', async () => {
    const token = await signToken(stack.cfg, actors.manager());
    const { cookie, session } = await signIn();
    expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session).not.toBe(token);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/(;|$)/);
    expect(cookie).not.toMatch(/Secure/); // 127.0.0.1

    // Reached by any other name (here a Host header, as behind a TLS proxy), the cookie is Secure.
    const viaName = await new Promise<string>((resolve, reject) => {
      const body = new URLSearchParams({ token }).toString();
      const url = new URL(`${stack.baseUrl}/v1/session`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            host: 'cases.example.cn',
            'content-type': 'application/x-www-form-urlencoded',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie'] ?? ''));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(viaName).toMatch(/lce_session=[A-Za-z0-9_-]{43};.*Secure/);
  });

  test('the session cookie is no bearer token: the /v1 routes refuse it, as a header or a cookie', async () => {
    const { session } = await signIn();
    const asBearer = await stack.api(null, 'GET', '/v1/leads', undefined, { authorization: `Bearer ${session}` });
    expect(asBearer.status).toBe(401);
    const asCookie = await stack.api(null, 'GET', '/v1/leads', undefined, { cookie: `lce_session=${session}` });
    expect(asCookie.status).toBe(401);
    // ...while it does what it is for.
    const me = await fetch(`${stack.baseUrl}/v1/session/current`, { headers: { cookie: `lce_session=${session}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ sub: actors.manager().sub, role: 'manager' });
  });

  test('a malformed or unknown session cookie is a 401 with a problem code, never a 500', async () => {
    const { payload } = await anEncodedInput();
    for (const value of ['%E0%A4%A', '%', 'a'.repeat(43), 'x;y', '']) {
      const res = await call('/v1/codec/decode', { cookie: `lce_session=${value}` }, { payloads: [payload] });
      expect({ value, status: res.status }).toEqual({ value, status: 401 });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { code: string }).code).toMatch(/^(invalid_session|unauthenticated)$/);
      const current = await fetch(`${stack.baseUrl}/v1/session/current`, {
        headers: { cookie: `lce_session=${value}` },
      });
      expect({ value, status: current.status }).toEqual({ value, status: 401 });
    }
    const page = await fetch(`${stack.baseUrl}/v1/session`, { headers: { cookie: 'lce_session=%E0%A4%A' } });
    expect(page.status).toBe(200);
  });

  test('sign-out ends the session: the cookie no longer decodes, and the sign-out is audited', async () => {
    const { payload } = await anEncodedInput();
    const { session } = await signIn();
    expect((await call('/v1/codec/decode', { cookie: `lce_session=${session}` }, { payloads: [payload] })).status).toBe(
      200,
    );
    const page = await (
      await fetch(`${stack.baseUrl}/v1/session`, { headers: { cookie: `lce_session=${session}` } })
    ).text();
    expect(page).toContain('action="/v1/session/sign-out"');

    const out = await fetch(`${stack.baseUrl}/v1/session/sign-out`, {
      method: 'POST',
      headers: { cookie: `lce_session=${session}` },
      redirect: 'manual',
    });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/lce_session=;.*Expires=Thu, 01 Jan 1970/);
    const [audit] = await stack.db.query(
      `SELECT actor_sub, actor_role FROM audit_events WHERE action = 'session.signed_out' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit).toEqual({ actor_sub: actors.manager().sub, actor_role: 'manager' });

    const after = await call('/v1/codec/decode', { cookie: `lce_session=${session}` }, { payloads: [payload] });
    expect(after.status).toBe(401);
    expect(((await after.json()) as { code: string }).code).toBe('invalid_session');
    expect(
      (await fetch(`${stack.baseUrl}/v1/session/current`, { headers: { cookie: `lce_session=${session}` } })).status,
    ).toBe(401);
  });

  test('sign-in returns to the Web UI page it was sent from, and never to another site', async () => {
    expect((await signIn({ next: '/namespaces/default/workflows?query=x' })).res.headers.get('location')).toBe(
      `${origin()}/namespaces/default/workflows?query=x`,
    );
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      expect((await signIn({ next })).res.headers.get('location')).toBe(origin());
    }
  });

  test('a body without payloads, as the Temporal CLI sends for an empty list, is no payloads on both routes; a malformed list is still refused', async () => {
    const manager = { authorization: `Bearer ${await signToken(stack.cfg, actors.manager())}` };
    for (const route of ['/v1/codec/decode', '/v1/codec/encode']) {
      const res = await call(route, manager, {});
      expect([route, res.status, await res.json()]).toEqual([route, 200, { payloads: [] }]);
    }
    const bad = await call('/v1/codec/decode', manager, { payloads: 'x' });
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([422, 'validation_failed']);
  });

  test("what the Web UI encodes reads back through decode, but the worker's codec refuses it", async () => {
    const manager = { authorization: `Bearer ${await signToken(stack.cfg, actors.manager())}` };
    const plain = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('{"hold":false,"by":"x"}').toString('base64'),
    };
    const encoded = await call('/v1/codec/encode', manager, { payloads: [plain] });
    expect(encoded.status).toBe(200);
    const sealed = ((await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] })
      .payloads[0]!;
    const back = await call('/v1/codec/decode', manager, { payloads: [sealed] });
    expect(
      Buffer.from(((await back.json()) as { payloads: { data: string }[] }).payloads[0]!.data, 'base64').toString(),
    ).toBe('{"hold":false,"by":"x"}');

    const worker = new WorkerCodec(codecKeyring(stack.cfg.CODEC_KEY_ID, stack.cfg.CODEC_KEY, stack.cfg.CODEC_OLD_KEYS));
    const [seen] = await worker.decode([
      {
        metadata: Object.fromEntries(Object.entries(sealed.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(sealed.data, 'base64'),
      },
    ]);
    expect(Buffer.from(seen!.data!).toString()).toContain('$refused');
  });

  test('CORS preflight is answered for the Web UI origin only', async () => {
    const ok = await fetch(`${stack.baseUrl}/v1/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: origin(), 'access-control-request-method': 'POST' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const other = await fetch(`${stack.baseUrl}/v1/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
