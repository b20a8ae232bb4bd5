import { Client, Connection } from '@temporalio/client';
import { leadWorkflowId } from '../../src/temporal/names';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { eventually, startStack, type TestStack } from '../support/stack';
import { signToken } from '../../src/api/auth';

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
    await eventually(async () => (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [body.caseId]))[0].stage === 'follow_up', 'follow_up');

    const raw = new Client({ connection: await Connection.connect({ address: stack.cfg.TEMPORAL_ADDRESS }) }); // no codec
    try {
      const handle = raw.workflow.getHandle(leadWorkflowId(body.caseId));
      const history = await handle.fetchHistory();
      const started = history.events![0].workflowExecutionStartedEventAttributes!;
      expect(Buffer.from(started.input!.payloads![0].metadata!.encoding!).toString()).toBe('binary/encrypted');
      const everything = JSON.stringify(history) + JSON.stringify(await handle.describe());
      for (const secret of [lead.applicant.name, lead.applicant.idNumber, lead.applicant.phone, Buffer.from(lead.applicant.idNumber).toString('base64')]) {
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
    fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: origin(), ...headers }, body: JSON.stringify(body) });

  async function anEncodedInput() {
    const ch = await aChannel(stack.db);
    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }));
    const raw = new Client({ connection: await Connection.connect({ address: stack.cfg.TEMPORAL_ADDRESS }) });
    try {
      const history = await raw.workflow.getHandle(leadWorkflowId(body.caseId)).fetchHistory();
      const p = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
      const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
      return { caseId: body.caseId as string, payload: { metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, b64(v)])), data: b64(p.data!) } };
    } finally {
      await raw.connection.close();
    }
  }

  test('refuse an anonymous caller and a broker', async () => {
    const { payload } = await anEncodedInput();
    const anonymous = await call('/v1/codec/decode', {}, { payloads: [payload] });
    expect(anonymous.status).toBe(401);
    const broker = await call('/v1/codec/decode', { authorization: `Bearer ${await signToken(stack.cfg, actors.broker())}` }, { payloads: [payload] });
    expect(broker.status).toBe(403);
  });

  test("decode a case's input for a manager's access token, with CORS for the Web UI, and audit it", async () => {
    const { caseId, payload } = await anEncodedInput();
    const res = await call('/v1/codec/decode', { authorization: `Bearer ${await signToken(stack.cfg, actors.manager())}`, 'x-namespace': 'default' }, { payloads: [payload] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin());
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const decoded = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(decoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(decoded.payloads[0].data, 'base64').toString())).toMatchObject({ caseId });
    const [audit] = await stack.db.query(`SELECT actor_role, target_id FROM audit_events WHERE action = 'codec.decoded' ORDER BY id DESC LIMIT 1`);
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
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: await signToken(stack.cfg, actors.broker()) }), redirect: 'manual',
    });
    expect(brokerSignIn.status).toBe(403);
  });

  test('CORS preflight is answered for the Web UI origin only', async () => {
    const ok = await fetch(`${stack.baseUrl}/v1/codec/decode`, { method: 'OPTIONS', headers: { origin: origin(), 'access-control-request-method': 'POST' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const other = await fetch(`${stack.baseUrl}/v1/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
