import { Client, Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createApp } from '../../src/api/app';
import { signToken } from '../../src/platform/http/auth';
import { createLogger } from '../../src/platform/logger';
import { openDatabase } from '../../src/platform/db/data-source';
import { intakeSlotsFor } from '../../src/modules/lead/service/intake-slots';
import { temporal } from '@temporalio/proto';
import {
  LeadStageKey,
  AmountCnyKey,
  ChannelIdKey,
  SlaDueAtKey,
  VulnerableKey,
} from '../../src/platform/temporal/search-attributes';
import { stateQuery } from '../../src/modules/lead/messages';
import { aChannel, aLead, actors, anIdNumber, aPhone } from '../support/factories';
import { losingCommits } from '../support/faulty-database';
import { eventually, serveVariant, startStack, unreachableTemporal, type TestStack } from '../support/stack';

const { EventType } = temporal.api.enums.v1;

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

const casesOfChannel = async (channelId: string): Promise<number> =>
  (await stack.db.query('SELECT count(*)::int AS n FROM lead_cases WHERE channel_id = $1', [channelId]))[0].n;

describe('POST /v1/leads', () => {
  test('a valid lead becomes a case with a running leadCase workflow that waits for consent', async () => {
    const ch = await aChannel(stack.db);
    const res = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }));

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      workflowId: `lead-${res.body.caseId}`,
      stage: 'awaiting_consent',
      duplicate: false,
    });
    const handle = stack.client.workflow.getHandle(res.body.workflowId);
    const description = await handle.describe();
    expect(description.type).toBe('leadCase');
    expect(description.taskQueue).toBe(stack.cfg.TEMPORAL_TASK_QUEUE);
    expect(description.typedSearchAttributes.get(LeadStageKey)).toBe('awaiting_consent');
    expect(description.typedSearchAttributes.get(ChannelIdKey)).toBe(ch.id);
    expect(description.typedSearchAttributes.get(AmountCnyKey)).toBe(100_000);
    expect(description.typedSearchAttributes.get(VulnerableKey)).toBe(false);
    expect(await description.staticSummary()).toContain(ch.id);

    const listed = await eventually(async () => {
      const found: string[] = [];
      for await (const wf of stack.client.workflow.list({
        query: `LeadStage='awaiting_consent' AND ChannelId='${ch.id}'`,
      }))
        found.push(wf.workflowId);
      return found.length ? found : null;
    }, 'the case in a visibility query on LeadStage');
    expect(listed).toEqual([res.body.workflowId]);
  });

  test('a lead without consent is projected by its intake, and its workflow waits on that very deadline without writing it again', async () => {
    const ch = await aChannel(stack.db);
    const before = Date.now();
    const res = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id, consent: null }));
    expect(res.status).toBe(201);

    // At the 201 the projection is there: awaiting consent until policy.consent.waitHours from now.
    const [row] = await stack.db.query(
      'SELECT stage, consent_state, sla_kind, sla_due_at, projection_seq FROM lead_cases WHERE id = $1',
      [res.body.caseId],
    );
    expect(row).toMatchObject({
      stage: 'awaiting_consent',
      consent_state: 'none',
      sla_kind: 'consent',
      projection_seq: 1,
    });
    const dueAt = (row.sla_due_at as Date).getTime();
    const wait = stack.cfg.policy.consent.waitHours * 3_600_000;
    expect(dueAt).toBeGreaterThanOrEqual(before + wait);
    expect(dueAt).toBeLessThanOrEqual(Date.now() + wait);

    const handle = stack.client.workflow.getHandle(res.body.workflowId);
    expect((await handle.describe()).typedSearchAttributes.get(SlaDueAtKey)?.getTime()).toBe(dueAt);
    const state = await eventually(async () => {
      const s = await handle.query(stateQuery);
      return s.deadline ? s : null;
    }, 'the workflow to wait on its consent deadline');
    expect(state).toMatchObject({ seq: 1, deadline: { kind: 'consent' } });
    expect(Date.parse(state.deadline!.dueAt)).toBe(dueAt);

    // The first workflow task only started the deadline's timer: no projection, no search-attribute upsert.
    const { events } = await handle.fetchHistory();
    const types = (events ?? []).map((e) => e.eventType);
    const firstTask = types.slice(types.indexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) + 1);
    expect(firstTask[0]).toBe(EventType.EVENT_TYPE_TIMER_STARTED);
    expect(types).not.toContain(EventType.EVENT_TYPE_MARKER_RECORDED);
    expect(types).not.toContain(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);

    // The next projection follows it: granting consent moves the case on from seq 1.
    const granted = await stack.api(actors.channel(ch.id), 'POST', `/v1/leads/${res.body.caseId}/consents`, {
      // lender_sharing names its lenders, under a notice version that names them (PIPL art. 23, 29).
      noticeVersion: '2026-12',
      purposes: ['credit_assessment', 'lender_sharing'],
      lenderIds: ['lender-bank-a'],
    });
    expect(granted.status).toBe(200);
    const moved = await eventually(async () => {
      const [r] = await stack.db.query('SELECT stage, projection_seq FROM lead_cases WHERE id = $1', [res.body.caseId]);
      return r.stage !== 'awaiting_consent' ? r : null;
    }, 'the case to leave awaiting_consent');
    expect(moved.projection_seq).toBeGreaterThan(1);
  });

  test('the case is stored with its identity encrypted and shown masked', async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id, consent: null });
    const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);

    const [raw] = await stack.db.query('SELECT encode(sealed, $2) AS s FROM identities WHERE case_id = $1', [
      body.caseId,
      'escape',
    ]);
    expect(raw.s).not.toContain(lead.applicant.idNumber);
    expect(raw.s).not.toContain(lead.applicant.phone);

    const view = await stack.api(actors.manager(), 'GET', `/v1/leads/${body.caseId}`);
    expect(view.status).toBe(200);
    expect(view.body.applicant).toEqual({
      name: '测***',
      idNumber: `${lead.applicant.idNumber.slice(0, 6)}********${lead.applicant.idNumber.slice(-4)}`,
      phone: `${lead.applicant.phone.slice(0, 3)}****${lead.applicant.phone.slice(-4)}`,
      residenceRegion: lead.applicant.residenceRegion,
    });
    expect(JSON.stringify(view.body)).not.toContain(lead.applicant.idNumber);
  });

  test('a retry with the same Idempotency-Key replays the first answer and creates nothing', async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id, consent: null });
    const first = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead, { 'idempotency-key': 'retry-1' });
    const second = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead, { 'idempotency-key': 'retry-1' });

    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ caseId: first.body.caseId, replayed: true });
    expect(await casesOfChannel(ch.id)).toBe(1);
  });

  test('reusing an Idempotency-Key for a different request is refused', async () => {
    const ch = await aChannel(stack.db);
    await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }), {
      'idempotency-key': 'reused',
    });
    const other = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }), {
      'idempotency-key': 'reused',
    });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await casesOfChannel(ch.id)).toBe(1);
  });

  test('the same person arriving again (by ID number or by phone) joins the open case instead of opening a second', async () => {
    const ch = await aChannel(stack.db);
    const lead = aLead({ channelId: ch.id, consent: null });
    const first = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
    const sameId = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, applicant: { idNumber: lead.applicant.idNumber } }),
    );
    const samePhone = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, applicant: { phone: lead.applicant.phone } }),
    );

    expect(sameId.status).toBe(200);
    expect(sameId.body).toMatchObject({ caseId: first.body.caseId, duplicate: true });
    expect(samePhone.body).toMatchObject({ caseId: first.body.caseId, duplicate: true });
    expect(await casesOfChannel(ch.id)).toBe(1);
    const intakes = await stack.db.query('SELECT kind, matched_on FROM lead_intakes WHERE case_id = $1 ORDER BY id', [
      first.body.caseId,
    ]);
    expect(intakes).toEqual([
      { kind: 'new', matched_on: null },
      { kind: 'duplicate', matched_on: 'id_number' },
      { kind: 'duplicate', matched_on: 'phone' },
    ]);
  });

  test('the same person from another channel joins the case, but that channel learns neither the case nor its stage', async () => {
    const first = await aChannel(stack.db);
    const second = await aChannel(stack.db);
    const lead = aLead({ channelId: first.id });
    const original = await stack.api(actors.channel(first.id), 'POST', '/v1/leads', lead);
    const again = await stack.api(
      actors.channel(second.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: second.id, applicant: { phone: lead.applicant.phone } }),
    );

    expect(again.status).toBe(200);
    expect(again.body).toEqual({ caseId: null, workflowId: null, stage: null, duplicate: true });
    expect(JSON.stringify(again.body)).not.toContain(original.body.caseId);
    expect(await casesOfChannel(second.id)).toBe(0);
    // Still one case, and the second channel's intake is recorded on it.
    const intakes = await stack.db.query('SELECT channel_id, kind FROM lead_intakes WHERE case_id = $1 ORDER BY id', [
      original.body.caseId,
    ]);
    expect(intakes).toEqual([
      { channel_id: first.id, kind: 'new' },
      { channel_id: second.id, kind: 'duplicate' },
    ]);
    // The case's own channel, and a manager, are still told which case it is.
    const fromFirst = await stack.api(
      actors.channel(first.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: first.id, applicant: { phone: lead.applicant.phone } }),
    );
    expect(fromFirst.body).toMatchObject({ caseId: original.body.caseId, duplicate: true });
    const fromManager = await stack.api(
      actors.manager(),
      'POST',
      '/v1/leads',
      aLead({ channelId: second.id, applicant: { phone: lead.applicant.phone } }),
    );
    expect(fromManager.body).toMatchObject({ caseId: original.body.caseId, duplicate: true });
  });

  test('an ID number with a wrong check digit is refused field by field, and nothing is stored', async () => {
    const ch = await aChannel(stack.db);
    const good = anIdNumber();
    const badCheck = good.slice(0, 17) + (good[17] === '1' ? '2' : '1');
    const res = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, applicant: { idNumber: badCheck, phone: '12345' } }),
    );

    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'applicant.idNumber', message: expect.stringContaining('check digit') },
        { path: 'applicant.phone', message: expect.stringContaining('mobile') },
      ]),
    );
    expect(JSON.stringify(res.body)).not.toContain(badCheck);
    expect(await casesOfChannel(ch.id)).toBe(0);
  });

  test('a minor is refused and nothing about them is stored', async () => {
    const ch = await aChannel(stack.db);
    const res = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, applicant: { idNumber: anIdNumber(17) } }),
    );
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('applicant_minor');
    expect(await casesOfChannel(ch.id)).toBe(0);
  });

  test("a suspended channel's lead is refused with 403 channel_suspended", async () => {
    const ch = await aChannel(stack.db, { suspended: true });
    const res = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('channel_suspended');
    expect(await casesOfChannel(ch.id)).toBe(0);
  });

  test("an amount above the channel grade's maximum is refused", async () => {
    const ch = await aChannel(stack.db, { grade: 'risk' });
    const res = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, request: { amount: 60_000 } }),
    );
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'amount_above_channel_limit', maxAmount: 50_000 });
  });

  test('a channel credential cannot submit for another channel', async () => {
    const mine = await aChannel(stack.db);
    const theirs = await aChannel(stack.db);
    const res = await stack.api(actors.channel(mine.id), 'POST', '/v1/leads', aLead({ channelId: theirs.id }));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('channel_mismatch');
  });

  test('malformed JSON, a wrong content type, no token and an unknown route each get a problem+json answer', async () => {
    const malformed = await stack.api(actors.manager(), 'POST', '/v1/leads', '{"channelId":', {
      'content-type': 'application/json',
    });
    expect([malformed.status, malformed.body.code]).toEqual([400, 'malformed_json']);
    const text = await stack.api(actors.manager(), 'POST', '/v1/leads', 'hello', { 'content-type': 'text/plain' });
    expect([text.status, text.body.code]).toEqual([415, 'unsupported_media_type']);
    const anonymous = await stack.api(null, 'POST', '/v1/leads', aLead());
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'unauthenticated']);
    const unknown = await stack.api(actors.manager(), 'GET', '/v1/nothing-here');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'route_not_found']);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('when the database fails at COMMIT', () => {
  test('an intake that cannot tell whether its case was stored answers 503 and tells the consent-less workflow to check for itself', async () => {
    const ch = await aChannel(stack.db);
    const api = await serveVariant(stack, { db: losingCommits(stack.db) });
    try {
      const res = await api.call(
        actors.channel(ch.id),
        'POST',
        '/v1/leads',
        aLead({ channelId: ch.id, consent: null }),
      );
      expect(res.status).toBe(503);
      expect(await casesOfChannel(ch.id)).toBe(0);

      // The workflow it started was neither terminated (the case might exist) nor left to wait 72 h on
      // a projection nobody can vouch for: it was signalled, so it writes at once and finds no row.
      const [wf] = await eventually(async () => {
        const found: string[] = [];
        for await (const w of stack.client.workflow.list({ query: `ChannelId='${ch.id}'` })) found.push(w.workflowId);
        return found.length ? found : null;
      }, 'the started workflow in visibility');
      const handle = stack.client.workflow.getHandle(wf);
      const history = await handle.fetchHistory();
      const signals = (history.events ?? []).filter(
        (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      );
      expect(signals.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)).toEqual(['intakeUnconfirmed']);
      expect(
        (history.events ?? []).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED),
      ).toBe(false);
      await handle.terminate('test finished');
    } finally {
      await api.close();
    }
  });
});

describe('when Temporal is unreachable', () => {
  test('intake answers 503, leaves no half-made case, and /readyz says which part is down', async () => {
    const ch = await aChannel(stack.db);
    const api = await serveVariant(stack, { temporal: unreachableTemporal() });
    try {
      const res = await api.call(
        actors.channel(ch.id),
        'POST',
        '/v1/leads',
        aLead({ channelId: ch.id, applicant: { phone: aPhone() } }),
        { 'idempotency-key': 'outage-1' },
      );
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('temporal_unavailable');
      expect(await casesOfChannel(ch.id)).toBe(0);
      const [key] = await stack.db.query(`SELECT 1 FROM idempotency_keys WHERE key = 'outage-1'`);
      expect(key).toBeUndefined();

      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'not_ready', checks: { postgres: 'ok', temporal: 'unreachable' } });
    } finally {
      await api.close();
    }
  });

  /** The API on its own pool of `poolMax`, against a Temporal that accepts connections and never answers. */
  async function withSilentTemporal(
    poolMax: number,
    fn: (url: string, db: DataSource) => Promise<void>,
  ): Promise<void> {
    const sockets: Socket[] = [];
    const silent = createTcpServer((socket) => void sockets.push(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentTemporal = new Client({
      connection: Connection.lazy({ address: `127.0.0.1:${(silent.address() as AddressInfo).port}` }),
    });
    const db = await openDatabase(stack.cfg.DATABASE_URL, { poolMax });
    const server = createServer(
      createApp({ cfg: stack.cfg, db, temporal: silentTemporal, logger: createLogger('t', 'silent') }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, db);
    } finally {
      server.close();
      server.closeAllConnections();
      await silentTemporal.connection.close().catch(() => undefined);
      for (const socket of sockets) socket.destroy();
      silent.close();
      await db.destroy();
    }
  }

  test('while Temporal takes connections but never answers, intakes hold at most the pool less two connections, so /readyz still reaches Postgres', async () => {
    const ch = await aChannel(stack.db);
    await withSilentTemporal(4, async (url, db) => {
      const token = await signToken(stack.cfg, actors.channel(ch.id));
      const intakes = Array.from({ length: 6 }, () =>
        fetch(`${url}/v1/leads`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(aLead({ channelId: ch.id, applicant: { phone: aPhone(), idNumber: anIdNumber() } })),
        }),
      );
      // Two intakes inside their transactions, waiting on Temporal; four waiting for a turn.
      await eventually(async () => {
        const load = intakeSlotsFor(db).load;
        return load.running === 2 && load.waiting === 4 ? load : null;
      }, 'intakes queued behind two slots');
      const ready = await fetch(`${url}/readyz`);
      expect(((await ready.json()) as { checks: { postgres: string } }).checks.postgres).toBe('ok');

      // Every one answers (the start's deadline, then the terminate's), and none stored a case.
      const answers = await Promise.all(
        intakes.map(async (r) => [(await r).status, ((await (await r).json()) as { code: string }).code]),
      );
      for (const [status, code] of answers) {
        expect(status).toBe(503);
        expect(['temporal_unavailable', 'intake_busy']).toContain(code);
      }
      expect(answers.map(([, code]) => code)).toContain('intake_busy');
      expect(await casesOfChannel(ch.id)).toBe(0);
    });
  });

  test('a case action whose workflow does not answer gets 503 action_timeout after its deadline, not a request left hanging', async () => {
    const ch = await aChannel(stack.db);
    const { body } = await stack.api(
      actors.channel(ch.id),
      'POST',
      '/v1/leads',
      aLead({ channelId: ch.id, consent: null, applicant: { phone: aPhone(), idNumber: anIdNumber() } }),
    );
    await withSilentTemporal(4, async (url) => {
      const token = await signToken(stack.cfg, actors.manager());
      const res = await fetch(`${url}/v1/leads/${body.caseId}/do-not-contact`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'action_timeout', retryable: true });
    });
  });

  test('/readyz is ready when both Postgres and Temporal answer', async () => {
    const res = await fetch(`${stack.baseUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', temporal: 'ok' } });
  });
});
