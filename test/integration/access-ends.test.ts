import { SignJWT } from 'jose';
import { signToken, type Actor } from '../../src/platform/http/auth';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, startStack, type ApiResponse, type TestStack } from '../support/stack';

/**
 * Access ends when a person or partner does: a deactivated broker, a suspended channel and a
 * revoked key are refused from their next request whatever their credential's age, and a token
 * must be bounded, addressed to this API and unexpired.
 */
let stack: TestStack;
beforeAll(async () => {
  // Many refusals from one address and one actor are the point here: the abuse limits would answer 429 instead.
  stack = await startStack({ POLICY_FILE: noQuietHours(), AUTH_FAILURES_PER_MINUTE: '10000' });
});
afterAll(async () => stack?.stop());

/** A request with exactly this credential (an old token, a key), not a freshly signed one. */
async function call(
  credential: { token?: string; apiKey?: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: {
      ...(credential.token ? { authorization: `Bearer ${credential.token}` } : {}),
      ...(credential.apiKey ? { 'x-api-key': credential.apiKey } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const row = async (caseId: string) =>
  (await stack.db.query('SELECT stage, broker_id, submitted_by FROM lead_cases WHERE id = $1', [caseId]))[0];
const inFollowUp = (caseId: string) =>
  eventually(async () => ((await row(caseId)).stage === 'follow_up' ? row(caseId) : null), 'follow-up');
const attempt = { channel: 'phone', purpose: 'service', outcome: 'no_answer' };

describe('a deactivated broker', () => {
  test('is refused at once with an old token and a new one (read, /pii, contact attempt), and the open case is handed over', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    const leaving = await aBroker(stack.db, ch.team);
    const caseId = (await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }))).body
      .caseId;
    expect((await inFollowUp(caseId)).broker_id).toBe(leaving);
    const staying = await aBroker(stack.db, ch.team);
    const oldToken = await signToken(stack.cfg, actors.broker(leaving));
    // Before: the broker works the case.
    expect((await call({ token: oldToken }, 'GET', `/v1/leads/${caseId}`)).status).toBe(200);
    expect((await call({ token: oldToken }, 'POST', `/v1/leads/${caseId}/contact-attempts`, attempt)).status).toBe(201);

    const saved = await stack.api(actors.manager(), 'POST', '/v1/brokers', {
      id: leaving,
      displayName: 'leaving broker',
      team: ch.team,
      active: false,
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      id: leaving,
      active: false,
      handOver: { openCases: 1, workflowId: expect.any(String) },
    });

    const newToken = await signToken(stack.cfg, actors.broker(leaving));
    for (const token of [oldToken, newToken]) {
      const read = await call({ token }, 'GET', `/v1/leads/${caseId}`);
      const pii = await call({ token }, 'GET', `/v1/leads/${caseId}/pii?purpose=customer_service`);
      const contact = await call({ token }, 'POST', `/v1/leads/${caseId}/contact-attempts`, attempt);
      const list = await call({ token }, 'GET', '/v1/leads');
      for (const res of [read, pii, contact, list])
        expect([res.status, res.body.code]).toEqual([403, 'account_deactivated']);
    }
    expect((await stack.db.query('SELECT count(*)::int AS n FROM contact_log WHERE case_id = $1', [caseId]))[0].n).toBe(
      1,
    );
    // The refusals are evidence: who tried what (each route once; repeats are summed by the refusal audit).
    await eventually(async () => {
      const rows: { target_id: string }[] = await stack.db.query(
        `SELECT DISTINCT target_id FROM audit_events WHERE action = 'access.refused' AND actor_sub = $1 AND details->>'code' = 'account_deactivated'`,
        [leaving],
      );
      return rows.length >= 4;
    }, 'the refusals audited');
    // The case goes to a colleague, as offboarding would do it.
    await eventually(async () => (await row(caseId)).broker_id === staying, 'the case handed over');
    expect((await stack.api(actors.broker(staying), 'GET', `/v1/leads/${caseId}`)).status).toBe(200);
    const [audit] = await stack.db.query(
      `SELECT details FROM audit_events WHERE action = 'broker.saved' AND target_id = $1`,
      [leaving],
    );
    expect(audit.details).toEqual({ created: false, deactivated: true });
  });

  test('deactivating a broker without open cases answers at once; reactivating lets them back in', async () => {
    const ch = await aChannel(stack.db);
    const idle = await aBroker(stack.db, ch.team);
    const off = await stack.api(actors.admin(), 'POST', '/v1/brokers', {
      id: idle,
      displayName: 'idle',
      team: ch.team,
      active: false,
    });
    expect(off.body.handOver).toMatchObject({ openCases: 0 });
    expect((await stack.api(actors.broker(idle), 'GET', '/v1/leads')).body.code).toBe('account_deactivated');
    // Reactivation waits for the hand-over to finish, which would deactivate the broker again.
    await stack.client.workflow.getHandle(off.body.handOver.workflowId).result();
    const on = await stack.api(actors.admin(), 'POST', '/v1/brokers', {
      id: idle,
      displayName: 'idle',
      team: ch.team,
      active: true,
    });
    expect([on.status, on.body.handOver]).toEqual([200, null]);
    expect((await stack.api(actors.broker(idle), 'GET', '/v1/leads')).status).toBe(200);
  });

  test('offboarding deactivates the broker at once, before its workflow runs', async () => {
    const ch = await aChannel(stack.db);
    const leaving = await aBroker(stack.db, ch.team);
    const token = await signToken(stack.cfg, actors.broker(leaving));
    expect((await stack.api(actors.manager(), 'POST', `/v1/brokers/${leaving}/offboarding`, {})).status).toBe(202);
    expect((await call({ token }, 'GET', '/v1/leads')).body.code).toBe('account_deactivated');
  });

  test('a broker token naming no known broker is refused', async () => {
    const res = await stack.api(actors.broker('b-never-hired'), 'GET', '/v1/leads');
    expect([res.status, res.body.code]).toEqual([403, 'account_unknown']);
  });
});

describe('reading a case as its submitter', () => {
  test('ends when a broker is assigned; and when a manager reassigns the submitter’s own case', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    const submitter = await aBroker(stack.db, `elsewhere-${ch.team}`);
    const assignee = await aBroker(stack.db, ch.team);
    const caseId = (
      await stack.api(actors.broker(submitter), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }))
    ).body.caseId;
    expect((await row(caseId)).submitted_by).toBe(`broker:${submitter}`);
    // Before any broker is assigned, the submitter reads the case and records the customer's consent.
    expect((await stack.api(actors.broker(submitter), 'GET', `/v1/leads/${caseId}`)).status).toBe(200);
    const consent = await stack.api(actors.broker(submitter), 'POST', `/v1/leads/${caseId}/consents`, {
      // lender_sharing names its lenders, under a notice version that names them (PIPL art. 23, 29).
      noticeVersion: '2026-12',
      purposes: ['credit_assessment', 'lender_sharing'],
      lenderIds: ['lender-bank-a'],
    });
    expect(consent.status).toBe(200);
    expect((await inFollowUp(caseId)).broker_id).toBe(assignee);
    for (const path of [`/v1/leads/${caseId}`, `/v1/leads/${caseId}/pii?purpose=customer_service`]) {
      const res = await stack.api(actors.broker(submitter), 'GET', path);
      expect([path, res.status, res.body.code]).toEqual([path, 403, 'not_your_case']);
    }
    expect((await stack.api(actors.broker(assignee), 'GET', `/v1/leads/${caseId}`)).status).toBe(200);
  });

  test('a broker who submitted and worked a case loses it when a manager reassigns it', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    const first = await aBroker(stack.db, ch.team);
    const caseId = (await stack.api(actors.broker(first), 'POST', '/v1/leads', aLead({ channelId: ch.id }))).body
      .caseId;
    expect((await inFollowUp(caseId)).broker_id).toBe(first);
    const second = await aBroker(stack.db, ch.team);
    const moved = await stack.api(actors.manager(), 'POST', `/v1/leads/${caseId}/assignment`, { brokerId: second });
    expect(moved.status).toBe(200);
    expect((await row(caseId)).broker_id).toBe(second);
    const read = await stack.api(actors.broker(first), 'GET', `/v1/leads/${caseId}`);
    expect([read.status, read.body.code]).toEqual([403, 'not_your_case']);
    const pii = await stack.api(actors.broker(first), 'GET', `/v1/leads/${caseId}/pii?purpose=customer_service`);
    expect(pii.status).toBe(403);
  });
});

describe('a suspended channel', () => {
  test('its API keys and channel tokens are refused on every route; a revoked key as before', async () => {
    const ch = await aChannel(stack.db);
    await aBroker(stack.db, ch.team);
    const issued = (await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys`, { label: 'partner' }))
      .body;
    const apiKey = issued.apiKey as string;
    const submitted = await call({ apiKey }, 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }));
    expect(submitted.status).toBe(201);
    const caseId = submitted.body.caseId;
    const token = await signToken(stack.cfg, actors.channel(ch.id));
    expect((await call({ apiKey }, 'GET', `/v1/leads/${caseId}`)).status).toBe(200);

    await stack.db.query(`UPDATE channels SET suspended = true, suspension_reason = 'test' WHERE id = $1`, [ch.id]);
    for (const credential of [{ apiKey }, { token }]) {
      for (const [method, path, body] of [
        ['GET', `/v1/leads/${caseId}`],
        ['GET', '/v1/leads'],
        ['GET', `/v1/leads/${caseId}/decision`],
        ['GET', `/v1/channels/${ch.id}`],
        ['POST', `/v1/leads/${caseId}/consents`, { noticeVersion: '2026-01', purposes: ['credit_assessment'] }],
        ['POST', '/v1/marketing-texts/check', { text: 'hello' }],
      ] as [string, string, unknown?][]) {
        const res = await call(credential, method, path, body);
        expect([Object.keys(credential)[0], method, path, res.status, res.body.code]).toEqual([
          Object.keys(credential)[0],
          method,
          path,
          403,
          'channel_suspended',
        ]);
      }
    }
    // Lifting the suspension lets the same credentials back in; revoking the key ends it for good.
    await stack.db.query('UPDATE channels SET suspended = false WHERE id = $1', [ch.id]);
    expect((await call({ apiKey }, 'GET', `/v1/leads/${caseId}`)).status).toBe(200);
    await stack.api(actors.admin(), 'POST', `/v1/channels/${ch.id}/api-keys/${issued.keyId}/revoke`, {
      reason: 'partner left',
    });
    const revoked = await call({ apiKey }, 'GET', `/v1/leads/${caseId}`);
    expect([revoked.status, revoked.body.code]).toEqual([401, 'invalid_api_key']);
  });

  test('a channel token for a channel the service does not know is refused', async () => {
    const res = await stack.api(actors.channel('ch-that-never-was'), 'GET', '/v1/leads');
    expect([res.status, res.body.code]).toEqual([403, 'channel_unknown']);
  });
});

describe('tokens', () => {
  const secret = () => new TextEncoder().encode(stack.cfg.JWT_SECRET);
  const now = () => Math.floor(Date.now() / 1000);
  const build = (actor: Actor, o: { iat?: number | null; exp?: number | null; aud?: string }) => {
    const jwt = new SignJWT({ role: actor.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(actor.sub)
      .setIssuer(stack.cfg.JWT_ISSUER)
      .setAudience(o.aud ?? stack.cfg.JWT_AUDIENCE);
    if (o.iat !== null) jwt.setIssuedAt(o.iat ?? now());
    if (o.exp !== null) jwt.setExpirationTime(o.exp ?? now() + 600);
    return jwt.sign(secret());
  };

  test.each([
    ['without exp', { exp: null }, 'invalid_token'],
    ['without iat', { iat: null }, 'invalid_token'],
    ['living longer than the maximum', { iat: now() - 10, exp: now() + 100 * 365 * 86_400 }, 'invalid_token'],
    ['for another audience', { aud: 'another-api' }, 'invalid_token'],
    ['that expired', { iat: now() - 7200, exp: now() - 3600 }, 'token_expired'],
  ])('a compliance token %s is refused with 401', async (_what, o, code) => {
    const res = await call({ token: await build(actors.compliance(), o as never) }, 'GET', '/v1/audit');
    expect([res.status, res.body.code, res.headers.get('content-type')]).toEqual([
      401,
      code,
      expect.stringContaining('problem+json'),
    ]);
  });
});
