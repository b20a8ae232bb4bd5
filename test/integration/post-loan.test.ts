import { randomUUID } from 'node:crypto';
import { defaultPolicy, parsePolicy } from '../../src/platform/config/policy';
import { eraseCases } from '../../src/modules/lead/activities/erasure';
import { planCheckIns, recordCheckInCall } from '../../src/modules/post-loan/service';
import { insertCaseRows } from '../support/case-rows';
import { aBroker, aChannel, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { startStack, type TestStack } from '../support/stack';

/**
 * Post-loan check-ins (贷后回访): planned by the daily schedule from approved cases, called by the
 * case's broker under the contact rules, and a problem in the answers goes to compliance.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ POLICY_FILE: noQuietHours() });
});
afterAll(async () => {
  await stack?.stop();
});

const DAY = 86_400_000;
const manager = actors.manager();

/** An approved case as the projection holds it, closed `daysAgo` days before now, with its loan's broker. */
async function approvedCase(
  brokerId: string | null,
  daysAgo: number,
  o: { doNotContact?: boolean; erased?: boolean } = {},
): Promise<{ id: string; closedAt: Date }> {
  const ch = await aChannel(stack.db);
  const [id] = await insertCaseRows(stack.db, 1, { channelId: ch.id, outcome: 'approved', brokerId });
  const closedAt = new Date(Date.now() - daysAgo * DAY);
  await stack.db.query('UPDATE lead_cases SET closed_at = $2, do_not_contact = $3, erased_at = $4 WHERE id = $1', [
    id,
    closedAt,
    o.doNotContact ?? false,
    o.erased ? new Date() : null,
  ]);
  return { id, closedAt };
}

const checkIns = async (caseId: string) =>
  stack.db.query(
    'SELECT day, due_at, broker_id, state, attempts, closed_by FROM post_loan_check_ins WHERE case_id = $1 ORDER BY day',
    [caseId],
  );
const plan = (at = new Date()) =>
  planCheckIns(stack.db, stack.cfg.policy, { at: at.toISOString(), eventId: `test:${randomUUID()}` });

describe('planning', () => {
  test('plans each check-in once it falls due, for the case’s active broker or else the pool, and not for do-not-contact, erased or long-overdue ones', async () => {
    const team = `team-${randomUUID().slice(0, 8)}`;
    const broker = await aBroker(stack.db, team);
    const gone = await aBroker(stack.db, team, { active: false });
    const week = await approvedCase(broker, 8); // day 7 due yesterday, day 30 not yet
    const month = await approvedCase(broker, 31); // day 7 fell due 24 days ago: past planWithinDays (14); day 30 due
    const left = await approvedCase(broker, 8, { doNotContact: true });
    const erased = await approvedCase(broker, 8, { erased: true });
    const pooled = await approvedCase(gone, 8);
    const fresh = await approvedCase(broker, 2);

    const eventId = `test:${randomUUID()}`;
    await planCheckIns(stack.db, stack.cfg.policy, { at: new Date().toISOString(), eventId });
    const weekRows = await checkIns(week.id);
    expect(weekRows).toEqual([
      {
        day: 7,
        due_at: new Date(week.closedAt.getTime() + 7 * DAY),
        broker_id: broker,
        state: 'due',
        attempts: 0,
        closed_by: null,
      },
    ]);
    expect((await checkIns(month.id)).map((r: { day: number }) => r.day)).toEqual([30]);
    expect(await checkIns(left.id)).toEqual([]);
    expect(await checkIns(erased.id)).toEqual([]);
    expect(await checkIns(fresh.id)).toEqual([]);
    expect(await checkIns(pooled.id)).toEqual([expect.objectContaining({ day: 7, broker_id: null })]);

    // The broker is told once, with both new check-ins; the pool's goes to the managers.
    const [note] = await stack.db.query(
      `SELECT recipient_role, recipient_id, payload FROM notifications WHERE event_id = $1`,
      [`${eventId}:${broker}`],
    );
    expect(note.recipient_role).toBe('broker');
    expect(note.recipient_id).toBe(broker);
    expect(note.payload.checkIns.map((c: { caseId: string }) => c.caseId).sort()).toEqual([week.id, month.id].sort());
    const [poolNote] = await stack.db.query(`SELECT recipient_role, payload FROM notifications WHERE event_id = $1`, [
      `${eventId}:pool`,
    ]);
    expect(poolNote.recipient_role).toBe('manager');
    expect(poolNote.payload.checkIns.map((c: { caseId: string }) => c.caseId)).toContain(pooled.id);

    // Planning again plans nothing twice. Three weeks later the day-30 check-in falls due and
    // supersedes the day-7 one nobody made.
    await plan();
    expect(await checkIns(week.id)).toEqual(weekRows);
    await plan(new Date(Date.now() + 23 * DAY));
    expect(await checkIns(week.id)).toEqual([
      expect.objectContaining({ day: 7, state: 'cancelled', closed_by: 'system:superseded' }),
      expect.objectContaining({ day: 30, state: 'due' }),
    ]);
  });

  test('a check-in is named by its day: a new earlier day plans nothing twice, and one superseded in the same run is news to nobody', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const c = await approvedCase(broker, 8);
    await plan();
    const eventId = `test:${randomUUID()}`;
    await planCheckIns(stack.db, parsePolicy({ postLoan: { checkInDays: [3, 7, 30] } }), {
      at: new Date().toISOString(),
      eventId,
    });
    expect(await checkIns(c.id)).toEqual([
      expect.objectContaining({ day: 3, state: 'cancelled', closed_by: 'system:superseded' }),
      expect.objectContaining({ day: 7, state: 'due', closed_by: null }),
    ]);
    expect(await stack.db.query('SELECT 1 FROM notifications WHERE event_id = $1', [`${eventId}:${broker}`])).toEqual(
      [],
    );
  });

  test('the schedule’s workflow plans on the worker', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const c = await approvedCase(broker, 7.5);
    const result = await stack.client.workflow.execute('postLoanCheckIns', {
      taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
      workflowId: `test-post-loan-${randomUUID()}`,
      args: [],
    });
    expect(result.planned).toBeGreaterThanOrEqual(1);
    expect(await checkIns(c.id)).toEqual([expect.objectContaining({ day: 7, broker_id: broker, state: 'due' })]);
  });

  test('an empty checkInDays plans nothing', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const c = await approvedCase(broker, 8);
    expect(
      await planCheckIns(stack.db, parsePolicy({ postLoan: { checkInDays: [] } }), {
        at: new Date().toISOString(),
        eventId: `test:${randomUUID()}`,
      }),
    ).toMatchObject({ planned: 0 });
    expect(await checkIns(c.id)).toEqual([]);
  });
});

describe('the API', () => {
  test('the broker sees and records their own check-ins; a problem in the answers goes to compliance; a closed check-in takes no more calls', async () => {
    const team = `team-${randomUUID().slice(0, 8)}`;
    const [broker, other] = [await aBroker(stack.db, team), await aBroker(stack.db, team)];
    const c = await approvedCase(broker, 8);
    await plan();
    const path = `/v1/leads/${c.id}/check-ins/7`;

    const mine = await stack.api(actors.broker(broker), 'GET', '/v1/post-loan/check-ins?state=due');
    expect(mine.status).toBe(200);
    expect(mine.body.items).toContainEqual(
      expect.objectContaining({ caseId: c.id, day: 7, brokerId: broker, state: 'due', attempts: 0 }),
    );
    const theirs = await stack.api(actors.broker(other), 'GET', '/v1/post-loan/check-ins');
    expect(theirs.body.items.map((i: { caseId: string }) => i.caseId)).not.toContain(c.id);
    expect((await stack.api(actors.broker(other), 'GET', `/v1/post-loan/check-ins?brokerId=${broker}`)).status).toBe(
      403,
    );
    const byManager = await stack.api(manager, 'GET', `/v1/post-loan/check-ins?brokerId=${broker}`);
    expect(byManager.body.items.map((i: { caseId: string }) => i.caseId)).toContain(c.id);
    expect((await stack.api(actors.channel(), 'GET', '/v1/post-loan/check-ins')).status).toBe(403);

    const refused = await stack.api(actors.broker(other), 'POST', path, { reached: false });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('not_assigned_broker');
    const incomplete = await stack.api(actors.broker(broker), 'POST', path, { reached: true, termsAsAgreed: true });
    expect(incomplete.status).toBe(422);
    expect(
      (await stack.api(actors.broker(broker), 'POST', `/v1/leads/${c.id}/check-ins/30`, { reached: false })).body.code,
    ).toBe('check_in_not_found');
    expect(
      (await stack.api(actors.broker(broker), 'POST', `/v1/leads/${c.id}/check-ins/x`, { reached: false })).status,
    ).toBe(422);
    expect((await checkIns(c.id))[0].attempts).toBe(0);

    // A retry with the same Idempotency-Key gets the first answer and calls nobody twice.
    const key = { 'idempotency-key': `call-${randomUUID()}` };
    const unreached = await stack.api(actors.broker(broker), 'POST', path, { reached: false }, key);
    expect(unreached.status).toBe(200);
    expect(unreached.body).toMatchObject({ state: 'due', attempts: 1, termsAsAgreed: null });
    const retried = await stack.api(actors.broker(broker), 'POST', path, { reached: false }, key);
    expect(retried.body).toEqual(unreached.body);
    expect((await checkIns(c.id))[0].attempts).toBe(1);

    const reached = await stack.api(actors.broker(broker), 'POST', path, {
      reached: true,
      termsAsAgreed: true,
      extraFeesCharged: true,
    });
    expect(reached.status).toBe(200);
    expect(reached.body).toMatchObject({
      state: 'done',
      attempts: 2,
      termsAsAgreed: true,
      extraFeesCharged: true,
      closedBy: `broker:${broker}`,
    });
    const [problem] = await stack.db.query(
      `SELECT kind, recipient_role, payload FROM notifications WHERE case_id = $1 AND kind = 'post_loan_problem'`,
      [c.id],
    );
    expect(problem).toMatchObject({
      recipient_role: 'compliance',
      payload: { caseId: c.id, day: 7, termsAsAgreed: true, extraFeesCharged: true },
    });
    const audits = await stack.db.query(
      `SELECT details FROM audit_events WHERE action = 'post_loan.check_in_called' AND target_id = $1 ORDER BY id`,
      [c.id],
    );
    expect(
      audits.map((a: { details: { attempt: number; state: string } }) => [a.details.attempt, a.details.state]),
    ).toEqual([
      [1, 'due'],
      [2, 'done'],
    ]);

    const again = await stack.api(actors.broker(broker), 'POST', path, { reached: false });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('check_in_closed');
    expect((await checkIns(c.id))[0]).toMatchObject({ state: 'done', attempts: 2 });
  });

  test('a broker who leaves after planning hands their due check-ins to the pool at once, where a manager makes them; answers without a problem tell nobody', async () => {
    const leaving = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const c = await approvedCase(leaving, 8);
    await plan();
    expect((await checkIns(c.id))[0].broker_id).toBe(leaving);
    await stack.db.query('UPDATE brokers SET active = false WHERE id = $1', [leaving]);
    // Before any planning run: the broker can neither call nor see it; the managers' pool shows it.
    expect(
      (await stack.api(actors.broker(leaving), 'POST', `/v1/leads/${c.id}/check-ins/7`, { reached: false })).status,
    ).toBe(403);
    expect((await stack.api(actors.broker(leaving), 'GET', '/v1/post-loan/check-ins')).body.code).toBe(
      'account_deactivated',
    );
    const pool = await stack.api(manager, 'GET', '/v1/post-loan/check-ins?pool=true&state=due&limit=500');
    expect(pool.body.items.map((i: { caseId: string }) => i.caseId)).toContain(c.id);
    // The next run moves it and tells the managers.
    const eventId = `test:${randomUUID()}`;
    await planCheckIns(stack.db, stack.cfg.policy, { at: new Date().toISOString(), eventId });
    expect((await checkIns(c.id))[0].broker_id).toBeNull();
    const [poolNote] = await stack.db.query(`SELECT recipient_role, payload FROM notifications WHERE event_id = $1`, [
      `${eventId}:pool`,
    ]);
    expect(poolNote.payload.checkIns).toContainEqual(expect.objectContaining({ caseId: c.id, day: 7 }));

    const done = await stack.api(manager, 'POST', `/v1/leads/${c.id}/check-ins/7`, {
      reached: true,
      termsAsAgreed: true,
      extraFeesCharged: false,
    });
    expect(done.body).toMatchObject({ state: 'done', closedBy: 'manager:m1' });
    expect(
      await stack.db.query(`SELECT 1 FROM notifications WHERE case_id = $1 AND kind = 'post_loan_problem'`, [c.id]),
    ).toEqual([]);
  });

  test('pages through a broker’s check-ins with a cursor', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const cases = [await approvedCase(broker, 8), await approvedCase(broker, 9), await approvedCase(broker, 10)];
    await plan();
    const first = await stack.api(actors.broker(broker), 'GET', '/v1/post-loan/check-ins?limit=2');
    expect(first.body.items.map((i: { caseId: string }) => i.caseId)).toEqual([cases[2].id, cases[1].id]); // soonest due first
    const second = await stack.api(
      actors.broker(broker),
      'GET',
      `/v1/post-loan/check-ins?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body).toEqual({ items: [expect.objectContaining({ caseId: cases[0].id })], nextCursor: null });
    const bad = await stack.api(actors.broker(broker), 'GET', '/v1/post-loan/check-ins?cursor=nonsense');
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('invalid_cursor');
  });

  test('a manager may record a broker’s check-in; terms not as agreed notify compliance', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const c = await approvedCase(broker, 8);
    await plan();
    const res = await stack.api(manager, 'POST', `/v1/leads/${c.id}/check-ins/7`, {
      reached: true,
      termsAsAgreed: false,
      extraFeesCharged: false,
    });
    expect(res.body).toMatchObject({ state: 'done', termsAsAgreed: false, closedBy: 'manager:m1' });
    const [problem] = await stack.db.query(
      `SELECT recipient_role, payload FROM notifications WHERE case_id = $1 AND kind = 'post_loan_problem'`,
      [c.id],
    );
    expect(problem).toMatchObject({
      recipient_role: 'compliance',
      payload: { day: 7, termsAsAgreed: false, extraFeesCharged: false },
    });
    // The data-subject copy lists the check-ins, which stay after erasure. (This projection-only
    // case has no identity, so it is exported as an erased one.)
    await stack.db.query('UPDATE lead_cases SET erased_at = now() WHERE id = $1', [c.id]);
    const copy = await stack.api(actors.compliance(), 'GET', `/v1/leads/${c.id}/export`);
    expect(copy.status).toBe(200);
    expect(copy.body.postLoanCheckIns).toEqual([
      expect.objectContaining({ day: 7, state: 'done', termsAsAgreed: false }),
    ]);
  });
});

describe('the contact rules', () => {
  // 10:00 and 22:00 in Asia/Shanghai on two days: the default policy's quiet hours are 21:00-08:00.
  const at = (day: number, hourLocal: number) => new Date(Date.UTC(2026, 2, day, hourLocal - 8));

  async function planned(brokerId: string) {
    const c = await approvedCase(brokerId, 8);
    await plan();
    return c.id;
  }

  test('quiet hours, the daily cap and do-not-contact refuse a call and count nothing; the last allowed unreached call closes it as unreached', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const policy = parsePolicy({ postLoan: { maxAttempts: 4 } });
    const caseId = await planned(broker);
    const call = (now: Date) =>
      recordCheckInCall(stack.db, policy, actors.broker(broker), { caseId, day: 7 }, { reached: false }, now);

    await expect(call(at(10, 22))).rejects.toMatchObject({ code: 'quiet_hours' });
    for (let i = 0; i < policy.contact.maxAttemptsPerDay; i++) await call(at(10, 10));
    await expect(call(at(10, 11))).rejects.toMatchObject({ code: 'daily_cap_reached' });
    expect((await checkIns(caseId))[0]).toMatchObject({ state: 'due', attempts: 3 });
    const last = await call(at(11, 10)); // a new local day
    expect(last).toMatchObject({ state: 'unreached', attempts: 4, closedBy: `broker:${broker}` });

    const quiet = await planned(broker);
    await stack.db.query('UPDATE lead_cases SET do_not_contact = true WHERE id = $1', [quiet]);
    await expect(
      recordCheckInCall(
        stack.db,
        defaultPolicy(),
        actors.broker(broker),
        { caseId: quiet, day: 7 },
        { reached: false },
        at(10, 10),
      ),
    ).rejects.toMatchObject({ code: 'do_not_contact' });
    expect((await checkIns(quiet))[0].attempts).toBe(0);
  });

  test('the daily cap counts every check-in call to the customer that day', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const policy = defaultPolicy();
    const caseId = await planned(broker);
    // Two check-ins due at once (as if day 30 came before day 7 was cancelled).
    await stack.db.query(
      `INSERT INTO post_loan_check_ins (case_id, day, due_at, broker_id) VALUES ($1, 30, now(), $2)`,
      [caseId, broker],
    );
    const call = (day: number) =>
      recordCheckInCall(stack.db, policy, actors.broker(broker), { caseId, day }, { reached: false }, at(12, 10));
    await call(7);
    await call(7);
    await call(30);
    await expect(call(30)).rejects.toMatchObject({ code: 'daily_cap_reached' });
    await expect(call(7)).rejects.toMatchObject({ code: 'daily_cap_reached' });
  });

  test('a customer who withdraws consent is not called, nor planned for', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const caseId = await planned(broker);
    const later = await approvedCase(broker, 8);
    // What the projection shows once the workflow handles the withdrawal (the data kept under a legal hold).
    await stack.db.query(
      `UPDATE lead_cases SET stage = 'withdrawn', consent_state = 'withdrawn', legal_hold = true WHERE id = ANY($1)`,
      [[caseId, later.id]],
    );
    const res = await stack.api(actors.broker(broker), 'POST', `/v1/leads/${caseId}/check-ins/7`, { reached: false });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('case_closed');
    const due = await stack.api(actors.broker(broker), 'GET', '/v1/post-loan/check-ins?state=due');
    expect(due.body.items.map((i: { caseId: string }) => i.caseId)).not.toContain(caseId);
    await plan();
    expect(await checkIns(caseId)).toEqual([
      expect.objectContaining({ state: 'cancelled', closed_by: 'system:consent_withdrawn' }),
    ]);
    expect(await checkIns(later.id)).toEqual([]);
  });

  test('a withdrawal in the consent ledger stops calls before the projection shows it', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const caseId = await planned(broker);
    await stack.db.query(
      `INSERT INTO consents (event_id, case_id, purpose, action, source, at) VALUES ($1, $2, 'credit_assessment', 'withdraw', 'test', now())`,
      [`test-withdraw:${caseId}`, caseId],
    );
    const res = await stack.api(actors.broker(broker), 'POST', `/v1/leads/${caseId}/check-ins/7`, { reached: false });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('case_closed');
  });

  test('once the case is erased nobody is called', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const caseId = await planned(broker);
    const [erased] = await eraseCases(stack.db, [
      { caseId, eventId: `test-erase:${caseId}`, reason: 'retention_expired', at: new Date().toISOString() },
    ]);
    expect(erased).toMatchObject({ erased: true });
    const res = await stack.api(actors.broker(broker), 'POST', `/v1/leads/${caseId}/check-ins/7`, {
      reached: true,
      termsAsAgreed: true,
      extraFeesCharged: false,
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('case_closed');
    // Not listed as due any more, and the next planning run cancels it.
    const due = await stack.api(actors.broker(broker), 'GET', '/v1/post-loan/check-ins?state=due');
    expect(due.body.items.map((i: { caseId: string }) => i.caseId)).not.toContain(caseId);
    await plan();
    expect((await checkIns(caseId))[0]).toMatchObject({ state: 'cancelled', attempts: 0 });
    const [row] = await stack.db.query('SELECT closed_by FROM post_loan_check_ins WHERE case_id = $1', [caseId]);
    expect(row.closed_by).toBe('system:erased');
  });

  test('a customer who asks not to be contacted after planning has their due check-ins cancelled', async () => {
    const broker = await aBroker(stack.db, `team-${randomUUID().slice(0, 8)}`);
    const caseId = await planned(broker);
    await stack.db.query('UPDATE lead_cases SET do_not_contact = true WHERE id = $1', [caseId]);
    const res = await stack.api(actors.broker(broker), 'POST', `/v1/leads/${caseId}/check-ins/7`, { reached: false });
    expect(
      (await stack.api(actors.broker(broker), 'GET', '/v1/post-loan/check-ins?state=due')).body.items.map(
        (i: { caseId: string }) => i.caseId,
      ),
    ).not.toContain(caseId);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('do_not_contact');
    await plan();
    const [row] = await stack.db.query('SELECT state, closed_by FROM post_loan_check_ins WHERE case_id = $1', [caseId]);
    expect(row).toEqual({ state: 'cancelled', closed_by: 'system:do_not_contact' });
  });
});
