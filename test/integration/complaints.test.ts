import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import pino from 'pino';
import type { Actor } from '../../src/platform/http/auth';
import { rotateComplaintDataKeys } from '../../src/modules/complaint/key-rotation';
import { keyringFrom } from '../../src/platform/crypto';
import { openComplaintValue, unwrapCaseDataKey, unwrapComplaintDataKey } from '../../src/modules/complaint/crypto';
import { ComplaintPriorityKey, ComplaintStateKey, SlaDueAtKey } from '../../src/platform/temporal/search-attributes';
import { complaintStateQuery } from '../../src/modules/complaint/messages';
import { aBroker, aChannel, aLead, actors, aPhone } from '../support/factories';
import { losingCommitAnswers } from '../support/faulty-database';
import { policyFile } from '../support/policy';
import { eventually, serveVariant, startStack, type ApiResponse, type TestStack } from '../support/stack';

const logLines: string[] = [];
let stack: TestStack;
const startedAt = new Date(Date.now() - 1_000);
beforeAll(async () => {
  const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(chunk.toString()), done()) });
  // No quiet hours (contact at any wall-clock time), and a low-priority first response due within
  // seconds on the clock (not in working time), so that a late first response happens while the test watches.
  const policy = policyFile({
    contact: { quietHoursStart: '00:00', quietHoursEnd: '00:00' },
    complaints: { firstResponseHours: { low: 0.001 } },
    businessHours: { deadlines: ['first_contact', 'review'] },
  });
  stack = await startStack({ POLICY_FILE: policy }, { logger: pino({ level: 'debug' }, sink) });
});
afterAll(async () => stack?.stop());

const compliance = actors.compliance();
const manager = actors.manager();

/** A case of its own channel and broker, worked up to follow-up. */
async function aCaseInFollowUp() {
  const ch = await aChannel(stack.db);
  const brokerId = await aBroker(stack.db, ch.team);
  const lead = aLead({ channelId: ch.id });
  const { body } = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', lead);
  await eventually(
    async () =>
      (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [body.caseId]))[0].stage === 'follow_up',
    'follow_up',
  );
  return { caseId: body.caseId as string, channelId: ch.id, broker: actors.broker(brokerId), lead };
}

const file = (actor: Actor | null, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  stack.api(actor, 'POST', '/v1/complaints', body, headers);
const act = (actor: Actor, id: string, action: string, body: unknown) =>
  stack.api(actor, 'POST', `/v1/complaints/${id}/${action}`, body);
const auditActions = async (complaintId: string) =>
  (await stack.db.query(
    `SELECT action, details FROM audit_events WHERE target_type = 'complaint' AND target_id = $1 ORDER BY id`,
    [complaintId],
  )) as { action: string; details: unknown }[];

describe('filing', () => {
  test("a channel partner files with its API key; the description and the customer's contact are sealed and appear in no workflow, search attribute, audit row or log", async () => {
    const c = await aCaseInFollowUp();
    const key = (
      await stack.api(actors.admin(), 'POST', `/v1/channels/${c.channelId}/api-keys`, { label: 'complaints' })
    ).body.apiKey;
    const description = '客户反映实际利率比宣传的高，要求解释 13700001111';
    const res = await file(
      null,
      {
        caseId: c.caseId,
        category: 'rate_dispute',
        priority: 'low',
        description,
        customer: { name: '王五', phone: '13700001111' },
      },
      { 'x-api-key': key },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      caseId: c.caseId,
      channelId: c.channelId,
      brokerId: c.broker.sub,
      category: 'rate_dispute',
      priority: 'low',
      state: 'awaiting_response',
      doNotContact: 'not_needed',
    });
    const id = res.body.complaintId;

    const [row] = await stack.db.query(
      `SELECT key_scope, encode(sealed, 'escape') AS sealed FROM complaints WHERE id = $1`,
      [id],
    );
    expect(row.key_scope).toBe('case');
    for (const secret of ['利率', '13700001111', '王五']) expect(row.sealed).not.toContain(secret);

    const handle = stack.client.workflow.getHandle(`complaint-${id}`);
    const state = JSON.stringify(await handle.query(complaintStateQuery));
    const attrs = (await handle.describe()).typedSearchAttributes;
    expect(attrs.get(ComplaintPriorityKey)).toBe('low');
    expect(attrs.get(ComplaintStateKey)).toBe('awaiting_response');
    expect(attrs.get(SlaDueAtKey)?.toISOString()).toBe(res.body.firstResponse.dueAt);
    const audit = JSON.stringify(await auditActions(id));
    for (const secret of ['13700001111', '王五', '宣传']) {
      expect(state).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(logLines.join('')).not.toContain(secret);
    }

    // Compliance reads the text (and that read is audited); the channel sees the complaint without it.
    const read = await stack.api(compliance, 'GET', `/v1/complaints/${id}`);
    expect(read.body).toMatchObject({
      description,
      customer: { name: '王五', phone: '13700001111' },
      textErased: false,
    });
    expect((await auditActions(id)).map((a) => a.action)).toEqual(['complaint.filed', 'complaint.viewed']);
    const asChannel = await stack.api(null, 'GET', `/v1/complaints/${id}`, undefined, { 'x-api-key': key });
    expect(asChannel.status).toBe(200);
    expect(asChannel.body.description).toBeUndefined();
  });

  test('the same Idempotency-Key and body file one complaint, answered twice', async () => {
    const c = await aCaseInFollowUp();
    const body = { caseId: c.caseId, category: 'service_attitude', description: '业务员态度恶劣' };
    const first = await file(compliance, body, { 'idempotency-key': `complaint-${c.caseId}` });
    const again = await file(compliance, body, { 'idempotency-key': `complaint-${c.caseId}` });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.complaintId).toBe(first.body.complaintId);
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM complaints WHERE case_id = $1', [c.caseId]);
    expect(n).toBe(1);
  });

  test('a broker files only about his own cases, a channel only about its own; other roles not at all; the rules raise a repeat complaint', async () => {
    const c = await aCaseInFollowUp();
    const body = { caseId: c.caseId, category: 'disbursement_delay', priority: 'low', description: '放款太慢' };
    expect((await file(actors.broker(await aBroker(stack.db, 'strangers')), body)).body.code).toBe('not_your_case');
    expect((await file(actors.channel('ch-online-ads'), body)).body.code).toBe('not_your_channel');
    for (const role of [manager, actors.risk(), actors.admin()]) expect((await file(role, body)).status).toBe(403);
    expect((await file(compliance, { ...body, caseId: '00000000-0000-4000-8000-000000000000' })).body.code).toBe(
      'case_not_found',
    );

    const own = await file(c.broker, body);
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ priority: 'low', priorityRaisedBy: [] });
    const repeat = await file(actors.channel(c.channelId), body);
    expect(repeat.body).toMatchObject({ priority: 'normal', priorityRaisedBy: ['repeat_complaint'] });
  });

  test('a complaint with no case needs the customer’s phone, and gets a data key of its own', async () => {
    const missing = await file(compliance, { category: 'privacy', description: '我的信息被泄露' });
    expect([missing.status, missing.body.code, missing.body.errors?.[0]?.path]).toEqual([
      422,
      'validation_failed',
      'customer.phone',
    ]);
    const res = await file(compliance, {
      category: 'privacy',
      priority: 'low',
      description: '我的信息被泄露',
      customer: { phone: '13600002222' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ caseId: null, priority: 'high', priorityRaisedBy: ['category_always_high'] });
    const [row] = await stack.db.query(
      'SELECT c.key_scope, k.wrapped_key IS NOT NULL AS has_key FROM complaints c LEFT JOIN complaint_data_keys k ON k.complaint_id = c.id WHERE c.id = $1',
      [res.body.complaintId],
    );
    expect(row).toEqual({ key_scope: 'complaint', has_key: true });
    expect((await stack.api(compliance, 'GET', `/v1/complaints/${res.body.complaintId}`)).body.customer).toEqual({
      phone: '13600002222',
    });
  });
});

describe('when the database loses the answer to COMMIT', () => {
  test('a filing that did commit is answered 201, and its workflow carries on: it is not stopped as if it had rolled back', async () => {
    const api = await serveVariant(stack, { db: losingCommitAnswers(stack.db) });
    try {
      const res = await api.call(compliance, 'POST', '/v1/complaints', {
        category: 'service_attitude',
        priority: 'normal',
        description: '服务态度差',
        customer: { phone: aPhone() },
      });
      expect(res.status).toBe(201);
      const { complaintId } = res.body as { complaintId: string };
      expect((await stack.db.query('SELECT state FROM complaints WHERE id = $1', [complaintId]))[0]).toEqual({
        state: 'awaiting_response',
      });
      expect((await stack.client.workflow.getHandle(`complaint-${complaintId}`).describe()).status.name).toBe(
        'RUNNING',
      );
      // And it takes actions.
      const answered = await act(compliance, complaintId, 'first-response', { via: 'phone' });
      expect(answered.status).toBe(200);
      expect(answered.body.state).toBe('in_progress');
    } finally {
      await api.close();
    }
  });
});

describe('when the API dies in the middle of a filing', () => {
  const scopeOf = (actor: Actor) => `${actor.role}:${actor.sub}:POST /v1/complaints`;

  test('the answer commits with the complaint: a repeat gets the complaint even though the first request never answered', async () => {
    // A Temporal client whose Updates never answer: the filing commits, then waits for the workflow's
    // opening steps, as the process that dies there would.
    const stalled = new Proxy(stack.client, {
      get(target, prop, receiver) {
        if (prop !== 'workflow') return Reflect.get(target, prop, receiver);
        return new Proxy(target.workflow, {
          get(wf, p, r) {
            if (p !== 'getHandle') return Reflect.get(wf, p, r);
            return (id: string) =>
              Object.assign(wf.getHandle(id), { executeUpdate: () => new Promise(() => undefined) });
          },
        });
      },
    });
    const api = await serveVariant(stack, { temporal: stalled as typeof stack.client });
    const key = `dies-${randomUUID()}`;
    const body = {
      category: 'service_attitude',
      priority: 'normal',
      description: '服务态度差',
      customer: { phone: aPhone() },
    };
    try {
      void api.call(compliance, 'POST', '/v1/complaints', body, { 'idempotency-key': key }).catch(() => undefined);
      const stored = await eventually(async () => {
        const [row] = await stack.db.query(
          'SELECT status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2',
          [scopeOf(compliance), key],
        );
        return row?.status_code === 201 ? row : null;
      }, 'the answer stored with the filing');
      const again = await file(compliance, body, { 'idempotency-key': key });
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body.complaintId).toBe(stored.response.complaintId);
      expect((await stack.db.query('SELECT state FROM complaints WHERE id = $1', [again.body.complaintId]))[0]).toEqual(
        { state: 'awaiting_response' },
      );
    } finally {
      await api.close();
    }
  });

  test('a key its request left unanswered (nothing committed) is taken over by a repeat after two minutes, which files the complaint', async () => {
    const key = `abandoned-${randomUUID()}`;
    const body = {
      category: 'service_attitude',
      priority: 'normal',
      description: '服务态度差',
      customer: { phone: aPhone() },
    };
    const requestHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    // What a request that died before its transaction committed leaves behind.
    await stack.db.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at) VALUES ($1, $2, $3, 0, 'null', now() - interval '10 minutes')`,
      [scopeOf(compliance), key, requestHash],
    );
    const res = await file(compliance, body, { 'idempotency-key': key });
    expect(res.status).toBe(201);
    expect(await stack.db.query('SELECT 1 FROM complaints WHERE id = $1', [res.body.complaintId])).toHaveLength(1);
  });
});

describe('harassment about contact', () => {
  test('puts the case on do-not-contact before the filing is answered: the broker’s next contact attempt is refused', async () => {
    const c = await aCaseInFollowUp();
    const call = { channel: 'phone', purpose: 'service', outcome: 'no_answer' };
    expect((await stack.api(c.broker, 'POST', `/v1/leads/${c.caseId}/contact-attempts`, call)).status).toBe(201);

    const res = await file(actors.channel(c.channelId), {
      caseId: c.caseId,
      category: 'harassment',
      priority: 'low',
      description: '一天打了十几个电话',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ priority: 'high', doNotContact: 'applied' });

    const refused = await stack.api(c.broker, 'POST', `/v1/leads/${c.caseId}/contact-attempts`, call);
    expect([refused.status, refused.body.code]).toEqual([422, 'do_not_contact']);
    await eventually(
      async () =>
        (await stack.db.query('SELECT do_not_contact FROM lead_cases WHERE id = $1', [c.caseId]))[0].do_not_contact,
      'the projection',
    );
    // The complaint records the do-not-contact after signalling the case: the case's projection may land first.
    const actions = await eventually(async () => {
      const a = (await auditActions(res.body.complaintId)).map((x) => x.action);
      return a.includes('complaint.do_not_contact') ? a : null;
    }, 'the complaint to record the do-not-contact');
    expect(actions).toEqual(expect.arrayContaining(['complaint.filed', 'complaint.do_not_contact']));
  });
});

describe('working a complaint through the API', () => {
  test('first response by the case’s broker, escalation to a group, a dissatisfied customer reopens it, closed satisfied; each step audited, each refusal coded', async () => {
    const c = await aCaseInFollowUp();
    const id = (
      await file(compliance, { caseId: c.caseId, category: 'rate_dispute', description: '合同利率与口头承诺不符' })
    ).body.complaintId;

    expect((await act(compliance, id, 'escalation', { teams: ['risk', 'legal'] })).body.code).toBe(
      'first_response_pending',
    );
    expect((await act(compliance, id, 'close', { resolution: 'upheld', satisfaction: 'satisfied' })).body.code).toBe(
      'first_response_pending',
    );
    expect(
      (await act(actors.broker(await aBroker(stack.db, 'strangers')), id, 'first-response', { via: 'phone' })).body
        .code,
    ).toBe('not_your_case');
    expect((await act(c.broker, id, 'escalation', { teams: ['risk', 'legal'] })).body.code).toBe('forbidden');

    const responded = await act(c.broker, id, 'first-response', { via: 'phone', note: '已致电客户说明利率构成' });
    expect(responded.status).toBe(200);
    expect(responded.body).toMatchObject({ state: 'in_progress', firstResponse: { late: false } });
    expect((await act(c.broker, id, 'first-response', { via: 'sms' })).body.code).toBe('already_responded');

    const escalated = await act(compliance, id, 'escalation', {
      teams: ['risk', 'legal', 'risk'],
      reason: '涉及合同条款',
    });
    expect(escalated.body).toMatchObject({ state: 'escalated', escalatedTo: { teams: ['risk', 'legal'] } });
    const notified = await stack.db.query(
      `SELECT recipient_id FROM notifications WHERE kind = 'complaint_escalated_to_group' AND payload->>'complaintId' = $1 ORDER BY recipient_id`,
      [id],
    );
    expect(notified.map((n: { recipient_id: string }) => n.recipient_id)).toEqual(['legal', 'risk']);

    const reopened = await act(compliance, id, 'close', { resolution: 'not_upheld', satisfaction: 'dissatisfied' });
    expect(reopened.body).toMatchObject({
      state: 'escalated',
      timesReopened: 1,
      resolution: { satisfaction: 'dissatisfied', closedAt: null },
    });
    const closed = await act(manager, id, 'close', {
      resolution: 'partially_upheld',
      satisfaction: 'satisfied',
      note: '退还部分服务费',
    });
    expect(closed.body).toMatchObject({
      state: 'closed',
      resolution: { outcome: 'partially_upheld', satisfaction: 'satisfied' },
    });
    expect((await act(compliance, id, 'close', { resolution: 'upheld', satisfaction: 'satisfied' })).body.code).toBe(
      'complaint_closed',
    );

    const detail = (await stack.api(compliance, 'GET', `/v1/complaints/${id}`)).body;
    expect(detail.events.map((e: any) => [e.kind, e.note ?? null])).toEqual([
      ['filed', null],
      ['first_response', '已致电客户说明利率构成'],
      ['escalated_to_group', '涉及合同条款'],
      ['reopened', null],
      ['closed', '退还部分服务费'],
    ]);
    expect((await auditActions(id)).map((a) => a.action)).toEqual([
      'complaint.filed',
      'complaint.first_response',
      'complaint.escalated_to_group',
      'complaint.reopened',
      'complaint.closed',
      'complaint.viewed',
    ]);
    await eventually(
      async () => (await stack.db.query('SELECT state FROM complaints WHERE id = $1', [id]))[0].state === 'closed',
      'the projection',
    );
  });

  test('brokers list only the complaints about their cases; filters and the cursor', async () => {
    const mine = await aCaseInFollowUp();
    const other = await aCaseInFollowUp();
    const ids: string[] = [];
    for (const category of ['other', 'service_attitude', 'privacy']) {
      ids.push(
        (await file(compliance, { caseId: mine.caseId, category, priority: 'normal', description: '投诉内容' })).body
          .complaintId,
      );
    }
    await file(compliance, { caseId: other.caseId, category: 'other', description: '投诉内容' });

    const listed = (await stack.api(mine.broker, 'GET', '/v1/complaints?limit=200')).body.items;
    expect(new Set(listed.map((i: any) => i.caseId))).toEqual(new Set([mine.caseId]));
    expect(listed.map((i: any) => i.complaintId).sort()).toEqual([...ids].sort());
    expect((await stack.api(mine.broker, 'GET', `/v1/complaints/${listed[0].complaintId}`)).body.description).toBe(
      '投诉内容',
    );
    const theirs = (await stack.api(other.broker, 'GET', `/v1/complaints?caseId=${mine.caseId}`)).body.items;
    expect(theirs).toEqual([]);

    // The first stays normal; the next ones are raised: a repeat complaint, and privacy.
    const normal = (await stack.api(manager, 'GET', `/v1/complaints?caseId=${mine.caseId}&priority=normal`)).body.items;
    expect(normal.map((i: any) => i.complaintId)).toEqual([ids[0]]);
    const high = (await stack.api(manager, 'GET', `/v1/complaints?caseId=${mine.caseId}&priority=high`)).body.items;
    expect(high.map((i: any) => [i.category, i.priorityRaisedBy])).toEqual([
      ['privacy', ['category_always_high']],
      ['service_attitude', ['repeat_complaint']],
    ]);
    const page1 = (
      await stack.api(manager, 'GET', `/v1/complaints?caseId=${mine.caseId}&state=awaiting_response&limit=2`)
    ).body;
    const page2 = (
      await stack.api(
        manager,
        'GET',
        `/v1/complaints?caseId=${mine.caseId}&state=awaiting_response&limit=2&cursor=${page1.nextCursor}`,
      )
    ).body;
    expect([...page1.items, ...page2.items].map((i: any) => i.complaintId)).toEqual([...ids].reverse());
    expect(page2.nextCursor).toBeNull();
    expect((await stack.api(manager, 'GET', '/v1/complaints?cursor=nonsense')).body.code).toBe('invalid_cursor');
    expect((await stack.api(actors.risk(), 'GET', '/v1/complaints')).status).toBe(403);
  });
});

describe('legal hold', () => {
  test('compliance holds a no-case complaint after it closes: the hold is stored, shown and audited, its reason sealed with the event, then released; a case complaint is refused', async () => {
    const id = (
      await file(compliance, {
        category: 'other',
        priority: 'normal',
        description: '诉讼中的投诉',
        customer: { phone: '13300005555' },
      })
    ).body.complaintId;
    await act(compliance, id, 'first-response', { via: 'letter' });
    const closed = await act(compliance, id, 'close', { resolution: 'not_upheld', satisfaction: 'neutral' });
    expect(closed.body).toMatchObject({ state: 'closed', legalHold: false });
    const dueBefore = closed.body.retentionDueAt as string;

    expect((await act(manager, id, 'legal-hold', { hold: true, reason: 'court order' })).body.code).toBe('forbidden');
    expect((await act(compliance, id, 'legal-hold', { hold: true })).body.code).toBe('validation_failed');
    const held = await act(compliance, id, 'legal-hold', { hold: true, reason: '法院调取令' });
    expect([held.status, held.body.legalHold]).toEqual([200, true]);
    expect((await act(compliance, id, 'legal-hold', { hold: true, reason: 'again' })).body.code).toBe(
      'already_on_hold',
    );
    await eventually(
      async () =>
        (await stack.db.query('SELECT legal_hold FROM complaints WHERE id = $1', [id]))[0].legal_hold === true,
      'the held projection',
    );
    expect((await stack.api(compliance, 'GET', `/v1/complaints/${id}`)).body.legalHold).toBe(true);

    const released = await act(compliance, id, 'legal-hold', { hold: false, reason: 'case dismissed' });
    expect(released.body.legalHold).toBe(false);
    expect(Date.parse(released.body.retentionDueAt)).toBeGreaterThan(Date.parse(dueBefore)); // the clock stood still while held
    const audits = (await auditActions(id)).filter((a) => a.action.startsWith('complaint.legal_hold'));
    expect(audits).toEqual([
      {
        action: 'complaint.legal_hold_placed',
        details: { state: 'closed', eventId: expect.stringMatching(/:legal_hold_placed$/) },
      },
      {
        action: 'complaint.legal_hold_released',
        details: { state: 'closed', eventId: expect.stringMatching(/:legal_hold_released$/) },
      },
    ]);
    // The reasons are sealed with their events, never in the audit trail: compliance reads them on the complaint.
    const events = (await stack.api(compliance, 'GET', `/v1/complaints/${id}`)).body.events.filter((e: any) =>
      e.kind.startsWith('legal_hold'),
    );
    expect(events.map((e: any) => [e.kind, e.note])).toEqual([
      ['legal_hold_placed', '法院调取令'],
      ['legal_hold_released', 'case dismissed'],
    ]);

    const c = await aCaseInFollowUp();
    const withCase = (await file(compliance, { caseId: c.caseId, category: 'other', description: '有案件的投诉' })).body
      .complaintId;
    const refused = await act(compliance, withCase, 'legal-hold', { hold: true, reason: 'court order' });
    expect([refused.status, refused.body.code]).toEqual([409, 'hold_the_case']);
    // Closed, its workflow has ended: still the same answer, which says what to do instead.
    await act(compliance, withCase, 'first-response', { via: 'phone' });
    await act(compliance, withCase, 'close', { resolution: 'upheld', satisfaction: 'satisfied' });
    const closedRefused = await act(compliance, withCase, 'legal-hold', { hold: true, reason: 'court order' });
    expect([closedRefused.status, closedRefused.body.code]).toEqual([409, 'hold_the_case']);
  });
});

describe('late first responses and the report', () => {
  test('a late first response is overdue in lists, escalated to compliance, and counted; the report agrees with the complaints this test filed', async () => {
    const c = await aCaseInFollowUp();
    const base = { caseId: c.caseId, description: '投诉内容' };
    // Low priority: due within seconds under this test's policy. Normal: due in 24 h.
    const late = (await file(compliance, { ...base, category: 'other', priority: 'low' })).body.complaintId;
    const answered = (await file(compliance, { ...base, category: 'service_attitude', priority: 'normal' })).body
      .complaintId;
    const closed = (await file(compliance, { ...base, category: 'service_attitude', priority: 'normal' })).body
      .complaintId;
    await act(c.broker, answered, 'first-response', { via: 'wechat' });
    await act(c.broker, closed, 'first-response', { via: 'phone' });
    await act(compliance, closed, 'close', { resolution: 'upheld', satisfaction: 'satisfied' });

    const overdue = await eventually(async () => {
      const items = (await stack.api(manager, 'GET', `/v1/complaints?caseId=${c.caseId}&overdue=true`)).body.items;
      return items.length > 0 && items;
    }, 'the low-priority complaint to be overdue');
    expect(overdue.map((i: any) => i.complaintId)).toEqual([late]);
    await eventually(
      async () =>
        (
          await stack.db.query(
            `SELECT 1 FROM notifications WHERE kind = 'complaint_first_response_late' AND payload->>'complaintId' = $1`,
            [late],
          )
        ).length === 1,
      'compliance to be told',
    );
    await eventually(
      async () =>
        (await stack.db.query('SELECT late_first_response FROM complaints WHERE id = $1', [late]))[0]
          .late_first_response,
      'the projection',
    );

    const query = `from=${startedAt.toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}`;
    expect((await stack.api(c.broker, 'GET', `/v1/reports/complaints?${query}`)).status).toBe(403);
    const report = await stack.api(compliance, 'GET', `/v1/reports/complaints?${query}&groupBy=channel`);
    expect(report.status).toBe(200);
    const group = report.body.groups.find((g: any) => g.key === c.channelId);
    expect(group).toMatchObject({
      filed: 3,
      open: 2,
      closed: 1,
      firstResponded: 2,
      lateFirstResponses: 1,
      lateResolutions: 0,
      escalatedToGroup: 0,
      reopened: 0,
      satisfaction: { satisfied: 1, neutral: 0, dissatisfied: 0 },
    });
    expect(group.firstResponseMinutes.median).toBeGreaterThanOrEqual(0);
    expect(group.firstResponseMinutes.p90).toBeGreaterThanOrEqual(group.firstResponseMinutes.median);
    expect(report.body.totals.filed).toBeGreaterThanOrEqual(3);

    const byCategory = await stack.api(manager, 'GET', `/v1/reports/complaints?${query}&groupBy=category`);
    expect(byCategory.body.groups.map((g: any) => g.key)).toEqual(
      expect.arrayContaining(['other', 'service_attitude']),
    );
    expect(
      (
        await stack.api(
          manager,
          'GET',
          `/v1/reports/complaints?from=${new Date().toISOString()}&to=${startedAt.toISOString()}`,
        )
      ).status,
    ).toBe(422);
  });
});

describe('erasure', () => {
  test("when the case is erased, its complaint's text can no longer be read, by the API or with any key in the database", async () => {
    const c = await aCaseInFollowUp();
    const id = (
      await file(compliance, {
        caseId: c.caseId,
        category: 'privacy',
        description: '要求删除我的信息',
        customer: { phone: '13500003333' },
      })
    ).body.complaintId;
    const [{ sealed }] = await stack.db.query('SELECT sealed FROM complaints WHERE id = $1', [id]);
    const [caseKey] = await stack.db.query('SELECT master_key_id, wrapped_key FROM lead_data_keys WHERE case_id = $1', [
      c.caseId,
    ]);
    const ring = keyringFrom(stack.cfg.MASTER_KEY_ID, stack.cfg.MASTER_KEY);
    expect(
      openComplaintValue(
        id,
        'filing',
        sealed,
        unwrapCaseDataKey(c.caseId, caseKey.wrapped_key, caseKey.master_key_id, ring),
      ),
    ).toMatchObject({ description: '要求删除我的信息' });
    // Until then the person's data-subject copy carries the complaint and its text.
    const copy = (await stack.api(compliance, 'GET', `/v1/leads/${c.caseId}/export`)).body;
    expect(copy.complaints).toEqual([
      expect.objectContaining({
        complaintId: id,
        category: 'privacy',
        description: '要求删除我的信息',
        textErased: false,
      }),
    ]);

    await stack.api(actors.channel(c.channelId), 'POST', `/v1/leads/${c.caseId}/consents/withdraw`, {
      purposes: ['credit_assessment'],
    });
    await eventually(
      async () =>
        (await stack.db.query('SELECT stage FROM lead_cases WHERE id = $1', [c.caseId]))[0].stage === 'erased',
      'erased',
    );

    const read = (await stack.api(compliance, 'GET', `/v1/complaints/${id}`)).body;
    expect(read).toMatchObject({ description: null, customer: null, textErased: true, category: 'privacy' });
    expect(await stack.db.query('SELECT 1 FROM lead_data_keys WHERE case_id = $1', [c.caseId])).toEqual([]);
    expect((await act(compliance, id, 'first-response', { via: 'phone', note: '已回电' })).body.code).toBe(
      'complaint_text_erased',
    );
    expect((await act(compliance, id, 'first-response', { via: 'phone' })).status).toBe(200);
  });
});

describe('master-key rotation', () => {
  test("a no-case complaint's own data key is re-wrapped under the new master key; its text opens with the new key alone", async () => {
    const id = (
      await file(compliance, { category: 'other', description: '没有案件的投诉', customer: { phone: '13400004444' } })
    ).body.complaintId;
    const [{ sealed }] = await stack.db.query('SELECT sealed FROM complaints WHERE id = $1', [id]);
    const old = `${stack.cfg.MASTER_KEY_ID}:${stack.cfg.MASTER_KEY}`;
    const next = keyringFrom(`rotated-${id.slice(0, 8)}`, Buffer.alloc(32, 7).toString('base64'), old);
    const result = await rotateComplaintDataKeys(stack.db, next);
    expect(result.rewrapped).toBeGreaterThanOrEqual(1);
    expect(result.left).toBe(0);

    const [k] = await stack.db.query(
      'SELECT master_key_id, wrapped_key FROM complaint_data_keys WHERE complaint_id = $1',
      [id],
    );
    expect(k.master_key_id).toBe(next.currentId);
    const onlyNew = keyringFrom(next.currentId, Buffer.alloc(32, 7).toString('base64'));
    expect(
      openComplaintValue(id, 'filing', sealed, unwrapComplaintDataKey(id, k.wrapped_key, k.master_key_id, onlyNew)),
    ).toMatchObject({ description: '没有案件的投诉' });
    expect((await rotateComplaintDataKeys(stack.db, next)).rewrapped).toBe(0);
    // Put the keys back under the stack's master key, for the other tests of this file.
    const back = keyringFrom(
      stack.cfg.MASTER_KEY_ID,
      stack.cfg.MASTER_KEY,
      `${next.currentId}:${Buffer.alloc(32, 7).toString('base64')}`,
    );
    expect((await rotateComplaintDataKeys(stack.db, back)).left).toBe(0);
  });
});

describe('the contract', () => {
  test('the complaint routes answer as the OpenAPI document says', async () => {
    const doc = (await stack.api(null, 'GET', '/openapi.json')).body;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    const check = (method: string, path: string, res: ApiResponse) => {
      const media = doc.paths[path][method].responses[String(res.status)].content;
      const [type, { schema }] = Object.entries(media)[0] as [string, { schema: object }];
      expect(res.headers.get('content-type')).toContain(type);
      const validate = ajv.compile({ ...schema, components: doc.components });
      expect([method, path, res.status, validate(res.body) ? 'valid' : ajv.errorsText(validate.errors)]).toEqual([
        method,
        path,
        res.status,
        'valid',
      ]);
    };
    const c = await aCaseInFollowUp();
    const filed = await file(compliance, { caseId: c.caseId, category: 'other', description: '投诉内容' });
    check('post', '/v1/complaints', filed);
    const id = filed.body.complaintId;
    check('post', '/v1/complaints/{id}/first-response', await act(c.broker, id, 'first-response', { via: 'phone' }));
    check(
      'post',
      '/v1/complaints/{id}/escalation',
      await act(compliance, id, 'escalation', { teams: ['operations', 'customer_service'] }),
    );
    check(
      'post',
      '/v1/complaints/{id}/close',
      await act(compliance, id, 'close', { resolution: 'upheld', satisfaction: 'neutral' }),
    );
    check(
      'post',
      '/v1/complaints/{id}/close',
      await act(compliance, id, 'close', { resolution: 'upheld', satisfaction: 'neutral' }),
    );
    check('get', '/v1/complaints/{id}', await stack.api(compliance, 'GET', `/v1/complaints/${id}`));
    check('get', '/v1/complaints', await stack.api(manager, 'GET', `/v1/complaints?caseId=${c.caseId}`));
    check(
      'get',
      '/v1/reports/complaints',
      await stack.api(
        manager,
        'GET',
        `/v1/reports/complaints?from=${startedAt.toISOString()}&to=${new Date(Date.now() + 1000).toISOString()}&groupBy=broker`,
      ),
    );
    check('post', '/v1/complaints', await file(manager, { caseId: c.caseId, category: 'other', description: 'x' }));
  });
});
