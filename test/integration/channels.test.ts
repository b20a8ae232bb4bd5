import { randomUUID } from 'node:crypto';
import { insertCaseRows } from '../support/case-rows';
import { aBroker, aChannel, aLead, actors } from '../support/factories';
import { noQuietHours } from '../support/policy';
import { eventually, serveVariant, startStack, unreachableTemporal, type TestStack } from '../support/stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ POLICY_FILE: noQuietHours() });
});
afterAll(async () => {
  await stack?.stop();
});

const manager = actors.manager();
const review = (channelIds: string[]) => stack.api(manager, 'POST', '/v1/channels/reviews', { channelIds });
const channel = async (id: string) => (await stack.api(manager, 'GET', `/v1/channels/${id}`)).body;
/** Marks `n` approved cases of a channel as bad loans through the lenders' report route. */
const reportBad = async (caseIds: string[]) => {
  for (const id of caseIds) {
    const res = await stack.api(actors.risk(), 'POST', `/v1/leads/${id}/loan-performance`, {
      lenderId: 'lender-bank-a',
      status: 'bad',
      asOf: '2026-11-01',
    });
    expect(res.status).toBe(200);
  }
};

describe('the channel review', () => {
  test('grades each channel on its figures at the policy lines, records why, and suspends past the suspension line', async () => {
    const [good, risky, fraudulent, few] = [
      await aChannel(stack.db),
      await aChannel(stack.db, { grade: 'premium' }),
      await aChannel(stack.db),
      await aChannel(stack.db, { grade: 'premium' }),
    ];
    // 75 % approval, no bad loans: premium.
    await insertCaseRows(stack.db, 15, { channelId: good.id, outcome: 'approved' });
    await insertCaseRows(stack.db, 5, { channelId: good.id, outcome: 'lender_declined' });
    await insertCaseRows(stack.db, 5, { channelId: good.id });
    // 2 bad loans of 20: NPL 10 %, above the risk line (5 %), not above the suspension line (10 %).
    const riskyLoans = await insertCaseRows(stack.db, 20, { channelId: risky.id, outcome: 'approved' });
    await insertCaseRows(stack.db, 5, { channelId: risky.id });
    await reportBad(riskyLoans.slice(0, 2));
    // 3 fraud flags in 25 pre-screened: 12 %, above the 10 % suspension line.
    await insertCaseRows(stack.db, 3, { channelId: fraudulent.id, fraud: true, tier: 'B' });
    await insertCaseRows(stack.db, 22, { channelId: fraudulent.id });
    // Too few leads to judge, however bad.
    await insertCaseRows(stack.db, 5, { channelId: few.id, fraud: true });

    const res = await review([good.id, risky.id, fraudulent.id, few.id]);
    expect(res.status).toBe(200);
    expect(res.body.reviewed).toBe(4);
    expect(res.body.suspended).toEqual([fraudulent.id]);
    expect(res.body.changed.map((c: { channelId: string }) => c.channelId).sort()).toEqual(
      [good.id, risky.id, fraudulent.id].sort(),
    );

    expect(await channel(good.id)).toMatchObject({ grade: 'premium', suspended: false });
    expect(await channel(risky.id)).toMatchObject({ grade: 'risk', suspended: false });
    expect(await channel(fraudulent.id)).toMatchObject({
      grade: 'risk',
      suspended: true,
      suspendedBy: 'review',
      suspensionReason: expect.stringContaining('fraud_above_suspension_line'),
    });
    expect(await channel(few.id)).toMatchObject({ grade: 'premium', suspended: false });

    const gradings = (await stack.api(manager, 'GET', `/v1/channels/${risky.id}/gradings`)).body.items;
    expect(gradings).toHaveLength(1);
    expect(gradings[0]).toMatchObject({ source: 'review', gradeBefore: 'premium', gradeAfter: 'risk', judged: true });
    expect(gradings[0].figures).toMatchObject({ leads: 25, approved: 20, badLoans: 2, nplPct: 10 });
    expect(gradings[0].reasons.join()).toContain('npl_above_risk_line');
    const fewGrading = (await stack.api(manager, 'GET', `/v1/channels/${few.id}/gradings`)).body.items[0];
    expect(fewGrading).toMatchObject({ judged: false, gradeAfter: 'premium' });

    const [suspendedNote] = await stack.db.query(
      `SELECT payload FROM notifications WHERE kind = 'channel_suspended' AND payload->>'channelId' = $1`,
      [fraudulent.id],
    );
    expect(suspendedNote.payload).toMatchObject({ gradeBefore: 'general', gradeAfter: 'risk', suspended: true });
    const audited = await stack.db.query(
      `SELECT actor_sub FROM audit_events WHERE action = 'channel.graded' AND target_id = ANY($1)`,
      [[good.id, risky.id, fraudulent.id, few.id]],
    );
    expect(audited).toHaveLength(3);
    expect(audited.every((a: { actor_sub: string }) => a.actor_sub === 'channel-review')).toBe(true);
  });

  test('a review retried with the same key writes no second grading', async () => {
    const ch = await aChannel(stack.db);
    await insertCaseRows(stack.db, 25, { channelId: ch.id, outcome: 'approved' });
    const workflowId = `channel-review-test-${randomUUID()}`;
    const run = () =>
      stack.client.workflow.execute('channelReview', {
        workflowId,
        taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
        args: [{ channelIds: [ch.id] }],
      });
    const first = await run();
    const again = await run(); // same workflow ID: the same review
    expect(first.changed).toHaveLength(1);
    expect(again.changed).toEqual(first.changed);
    const [{ n }] = await stack.db.query('SELECT count(*)::int AS n FROM channel_gradings WHERE channel_id = $1', [
      ch.id,
    ]);
    expect(n).toBe(1);
  });

  test('a suspended channel’s new leads (and every other call of its credentials) are refused while its open cases carry on', async () => {
    const ch = await aChannel(stack.db, { grade: 'premium' });
    await aBroker(stack.db, ch.team);
    const open = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    expect(open.status).toBe(201);
    await insertCaseRows(stack.db, 25, { channelId: ch.id, fraud: true });
    expect((await review([ch.id])).body.suspended).toEqual([ch.id]);

    const refused = await stack.api(actors.channel(ch.id), 'POST', '/v1/leads', aLead({ channelId: ch.id }));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('channel_suspended');

    const read = await stack.api(actors.channel(ch.id), 'GET', `/v1/leads/${open.body.caseId}`);
    expect([read.status, read.body.code]).toEqual([403, 'channel_suspended']);
    await eventually(
      async () => (await stack.api(manager, 'GET', `/v1/leads/${open.body.caseId}`)).body.stage === 'follow_up',
      'the open case to reach follow-up',
    );
    const [c] = await stack.db.query('SELECT channel_grade FROM lead_cases WHERE id = $1', [open.body.caseId]);
    expect(c.channel_grade).toBe('premium'); // the grade it was admitted under
  });

  test('a manager’s override holds against the review until cleared, and every step is audited', async () => {
    const ch = await aChannel(stack.db);
    await insertCaseRows(stack.db, 25, { channelId: ch.id, fraud: true });
    await review([ch.id]);
    expect(await channel(ch.id)).toMatchObject({ suspended: true });

    const reopened = await stack.api(manager, 'POST', `/v1/channels/${ch.id}/override`, {
      suspended: false,
      reason: 'fraud ring traced to one agent, agent removed',
    });
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ suspended: false, override: { suspended: false, grade: null, by: 'm1' } });
    // Open again, but still a risk channel: its leads get the risk grade's lower maximum.
    expect(
      (
        await stack.api(
          actors.channel(ch.id),
          'POST',
          '/v1/leads',
          aLead({ channelId: ch.id, request: { amount: 100_000 } }),
        )
      ).body.code,
    ).toBe('amount_above_channel_limit');
    expect(
      (
        await stack.api(
          actors.channel(ch.id),
          'POST',
          '/v1/leads',
          aLead({ channelId: ch.id, request: { amount: 30_000 } }),
        )
      ).status,
    ).toBe(201);

    const held = await review([ch.id]);
    expect(held.body.overridden).toEqual([ch.id]);
    expect(await channel(ch.id)).toMatchObject({ suspended: false });
    const [latest] = (await stack.api(manager, 'GET', `/v1/channels/${ch.id}/gradings?limit=1`)).body.items;
    expect(latest).toMatchObject({ source: 'review', computedSuspend: true, suspendedAfter: false });

    expect(
      (await stack.api(manager, 'POST', `/v1/channels/${ch.id}/override/clear`, { reason: 'agent removal verified' }))
        .status,
    ).toBe(200);
    await review([ch.id]);
    expect(await channel(ch.id)).toMatchObject({ suspended: true, override: null });

    const actions = (
      await stack.db.query(
        `SELECT action FROM audit_events WHERE target_type = 'channel' AND target_id = $1 ORDER BY id`,
        [ch.id],
      )
    ).map((a: { action: string }) => a.action);
    expect(actions).toEqual(['channel.graded', 'channel.override', 'channel.override_cleared', 'channel.graded']);
    const sources = (await stack.api(manager, 'GET', `/v1/channels/${ch.id}/gradings`)).body.items.map(
      (g: { source: string }) => g.source,
    );
    expect(sources).toEqual(['review', 'override_cleared', 'review', 'override', 'review']);
  });

  test('overrides are for managers, need a reason and something to override', async () => {
    const ch = await aChannel(stack.db);
    expect(
      (
        await stack.api(actors.broker(), 'POST', `/v1/channels/${ch.id}/override`, {
          grade: 'premium',
          reason: 'my favourite partner',
        })
      ).status,
    ).toBe(403);
    const nothing = await stack.api(manager, 'POST', `/v1/channels/${ch.id}/override`, { reason: 'no change at all' });
    expect(nothing.status).toBe(422);
    expect(
      (await stack.api(manager, 'POST', `/v1/channels/${ch.id}/override`, { grade: 'premium', reason: '' })).status,
    ).toBe(422);
    const noOverride = await stack.api(manager, 'POST', `/v1/channels/${ch.id}/override/clear`, {
      reason: 'nothing to clear',
    });
    expect(noOverride.status).toBe(409);
    expect(noOverride.body.code).toBe('no_override');
    expect(await channel(ch.id)).toMatchObject({ grade: 'general', override: null });
  });
});

describe('a review requested while Temporal is unreachable', () => {
  test('answers 503 temporal_unavailable within the start deadline, and records no request', async () => {
    const ch = await aChannel(stack.db);
    const api = await serveVariant(stack, { temporal: unreachableTemporal() });
    try {
      const res = await api.call(manager, 'POST', '/v1/channels/reviews', { channelIds: [ch.id] });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('temporal_unavailable');
      const requested = await stack.db.query(
        `SELECT 1 FROM audit_events WHERE action = 'channel.review_requested' AND details->'channelIds' ? $1`,
        [ch.id],
      );
      expect(requested).toHaveLength(0);
    } finally {
      await api.close();
    }
  });
});

describe('channel figures and reports', () => {
  test('a channel’s figures over time, by week in the policy’s time zone, for its partner and managers only', async () => {
    const ch = await aChannel(stack.db);
    const other = await aChannel(stack.db);
    await stack.db.query('UPDATE channels SET cac_cny = 200 WHERE id = $1', [ch.id]);
    // Monday 2 March 2026, 01:00 in Shanghai is still Sunday 1 March in UTC: the week is read locally.
    await insertCaseRows(stack.db, 3, {
      channelId: ch.id,
      outcome: 'approved',
      createdAt: new Date('2026-03-01T17:00:00Z'),
    });
    await insertCaseRows(stack.db, 2, {
      channelId: ch.id,
      outcome: 'lender_declined',
      createdAt: new Date('2026-03-10T02:00:00Z'),
    });
    await insertCaseRows(stack.db, 1, { channelId: ch.id, tier: null, createdAt: new Date('2026-03-11T02:00:00Z') });

    const res = await stack.api(
      actors.channel(ch.id),
      'GET',
      `/v1/channels/${ch.id}/figures?from=2026-03-01T00:00:00%2B08:00&to=2026-04-01T00:00:00%2B08:00&period=week`,
    );
    expect(res.status).toBe(200);
    expect(res.body.totals).toMatchObject({
      leads: 6,
      consented: 5,
      lenderDecided: 5,
      approved: 3,
      approvalRatePct: 60,
      consentRatePct: 83.3,
      costPerConversionCny: 400,
    });
    expect(res.body.series).toEqual([
      expect.objectContaining({ periodStart: '2026-03-02', leads: 3, approved: 3 }),
      expect.objectContaining({ periodStart: '2026-03-09', leads: 3, lenderDecided: 2, approved: 0 }),
    ]);

    const denied = await stack.api(
      actors.channel(other.id),
      'GET',
      `/v1/channels/${ch.id}/figures?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z`,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('not_your_channel');
    expect(
      (
        await stack.api(
          actors.broker(),
          'GET',
          `/v1/channels/${ch.id}/figures?from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z`,
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await stack.api(
          manager,
          'GET',
          `/v1/channels/${ch.id}/figures?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z`,
        )
      ).status,
    ).toBe(422);
    // Fuzz finding: a period whose end does not parse is a 422, never a 500 from the span check.
    for (const path of [`/v1/channels/${ch.id}/figures`, '/v1/reports/channels', '/v1/reports/sla-breaches']) {
      expect((await stack.api(manager, 'GET', `${path}?from=2000-01-01T00:00:00Z&to=`)).status).toBe(422);
    }
    expect(
      (
        await stack.api(manager, 'POST', `/v1/channels/${ch.id}/override`, {
          grade: 'risk',
          reason: 'checking a bad date',
          until: 'soon',
        })
      ).status,
    ).toBe(422);

    const report = await stack.api(
      manager,
      'GET',
      '/v1/reports/channels?from=2026-03-01T00:00:00%2B08:00&to=2026-04-01T00:00:00%2B08:00',
    );
    expect(report.status).toBe(200);
    expect(report.body.channels.find((c: { channelId: string }) => c.channelId === ch.id)).toMatchObject({
      grade: 'general',
      figures: { leads: 6, approved: 3 },
    });
    expect(report.body.channels.find((c: { channelId: string }) => c.channelId === other.id)).toMatchObject({
      figures: { leads: 0, approvalRatePct: null },
    });
  });

  test('a lender can report only on a loan it made: a case it approved', async () => {
    const ch = await aChannel(stack.db);
    const [declined] = await insertCaseRows(stack.db, 1, { channelId: ch.id, outcome: 'lender_declined' });
    const res = await stack.api(actors.risk(), 'POST', `/v1/leads/${declined}/loan-performance`, {
      lenderId: 'lender-bank-a',
      status: 'bad',
      asOf: '2026-11-01',
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('no_loan');
    const [approved] = await insertCaseRows(stack.db, 1, { channelId: ch.id, outcome: 'approved' });
    expect(
      (
        await stack.api(actors.broker(), 'POST', `/v1/leads/${approved}/loan-performance`, {
          lenderId: 'lender-bank-a',
          status: 'bad',
          asOf: '2026-11-01',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await stack.api(actors.risk(), 'POST', `/v1/leads/${approved}/loan-performance`, {
          lenderId: 'no-such-lender',
          status: 'bad',
          asOf: '2026-11-01',
        })
      ).status,
    ).toBe(422);
    await reportBad([approved]);
    const [row] = await stack.db.query('SELECT status, reported_by FROM loan_performance WHERE case_id = $1', [
      approved,
    ]);
    expect(row).toEqual({ status: 'bad', reported_by: 'risk_officer:r1' });
  });

  test('SLA breaches by broker count the deadline marks the workflows left in the period', async () => {
    const broker = `b-sla-${randomUUID().slice(0, 8)}`;
    const mark = (kind: string, deadline: string, at: string) =>
      stack.db.query(
        `INSERT INTO notifications (event_id, kind, case_id, recipient_role, recipient_id, payload, created_at) VALUES ($1,$2,NULL,'manager',NULL,$3,$4)`,
        [randomUUID(), kind, JSON.stringify({ brokerId: broker, deadline }), at],
      );
    await mark('sla_breached', 'first_contact', '2025-01-05T03:00:00Z');
    await mark('sla_breached', 'first_contact', '2025-01-06T03:00:00Z');
    await mark('sla_breached', 'follow_up', '2025-01-20T03:00:00Z');
    await mark('case_reassigned', 'follow_up', '2025-01-21T03:00:00Z');
    await mark('sla_breached', 'follow_up', '2025-02-03T03:00:00Z'); // outside the period

    const res = await stack.api(
      manager,
      'GET',
      '/v1/reports/sla-breaches?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z',
    );
    expect(res.status).toBe(200);
    expect(res.body.brokers.find((b: { brokerId: string }) => b.brokerId === broker)).toEqual({
      brokerId: broker,
      breached: 3,
      firstContact: 2,
      followUp: 1,
      reassigned: 1,
      overdueNow: 0,
      oldestOverdueSince: null,
    });
    expect(
      (
        await stack.api(
          actors.broker(),
          'GET',
          '/v1/reports/sla-breaches?from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z',
        )
      ).status,
    ).toBe(403);
  });

  test('the funnel splits by period', async () => {
    const ch = await aChannel(stack.db);
    await insertCaseRows(stack.db, 4, {
      channelId: ch.id,
      outcome: 'approved',
      createdAt: new Date('2025-06-10T04:00:00Z'),
    });
    await insertCaseRows(stack.db, 2, { channelId: ch.id, tier: 'C', createdAt: new Date('2025-07-10T04:00:00Z') });
    const res = await stack.api(
      manager,
      'GET',
      '/v1/reports/funnel?from=2025-06-01T00:00:00%2B08:00&to=2025-08-01T00:00:00%2B08:00&groupBy=channel&period=month',
    );
    expect(res.status).toBe(200);
    const mine = res.body.groups.filter((g: { key: string }) => g.key === ch.id);
    expect(mine).toEqual([
      expect.objectContaining({ periodStart: '2025-06-01', leads: 4, approved: 4, conversionPct: 100 }),
      expect.objectContaining({ periodStart: '2025-07-01', leads: 2, approved: 0, tiers: { A: 0, B: 0, C: 2 } }),
    ]);
  });
});
