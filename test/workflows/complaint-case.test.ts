import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ComplaintPriorityKey, ComplaintStateKey, SlaDueAtKey } from '../../src/platform/temporal/search-attributes';
import {
  closeComplaintUpdate,
  complaintLegalHoldUpdate,
  complaintOpenedUpdate,
  complaintStateQuery,
  escalateToGroupUpdate,
  firstResponseUpdate,
} from '../../src/modules/complaint/messages';
import { contactAttemptUpdate, stateQuery } from '../../src/modules/lead/messages';
import { parsePolicy } from '../../src/platform/config/policy';
import {
  ComplaintFakes,
  complaintInput,
  startComplaint,
  terminateComplaints,
  untilInFollowUp,
} from './complaint-fakes';
import {
  caseInput,
  DAY,
  sent,
  HOUR,
  MINUTE,
  realTimeUntil,
  refusal,
  startCase,
  timeSkippingEnv,
  untilShanghaiMorning,
  withConsent,
  withWorker,
} from './harness';

let env: TestWorkflowEnvironment;
beforeEach(async () => {
  env = await timeSkippingEnv();
  // The harassment test logs contact on the case: start at 10:00 in Shanghai, outside quiet hours.
  await env.sleep(untilShanghaiMorning(await env.currentTimeMs()));
});
afterEach(async () => {
  await terminateComplaints();
  await env?.teardown();
});

const respond = { by: 'broker:b-1', via: 'phone' } as const;

describe('first-response deadline', () => {
  test.each([
    ['high', 2],
    ['normal', 24],
    ['low', 72],
  ] as const)(
    'a %s-priority complaint must be answered within %i h and resolved within 15 days',
    async (priority, hours) => {
      const fakes = new ComplaintFakes();
      await withWorker(env, fakes, async (tq) => {
        const input = await complaintInput(env, { priority });
        const handle = await startComplaint(env, tq, input);
        const { state } = await handle.executeUpdate(complaintOpenedUpdate);
        expect(Date.parse(state.firstResponseDueAt) - Date.parse(input.filedAt)).toBe(hours * HOUR);
        expect(Date.parse(state.resolutionDueAt) - Date.parse(input.filedAt)).toBe(15 * DAY);
        expect(state.state).toBe('awaiting_response');
      });
    },
  );

  test('in working time, the first response and its reminder skip the hours outside the working day', async () => {
    const fakes = new ComplaintFakes();
    // Every day a short working day, 09:00-10:20 Shanghai; filed at about 10:00, so 20 minutes are left today.
    const policy = parsePolicy({
      businessHours: {
        deadlines: ['complaint_first_response'],
        start: '09:00',
        end: '10:20',
        weekdays: [1, 2, 3, 4, 5, 6, 7],
      },
    });
    await withWorker(env, fakes, async (tq) => {
      const input = await complaintInput(env, { priority: 'high' }, { policy });
      const handle = await startComplaint(env, tq, input);
      const { state } = await handle.executeUpdate(complaintOpenedUpdate);
      const filed = Date.parse(input.filedAt);
      const shanghaiMidnight = Math.floor((filed + 8 * HOUR) / DAY) * DAY - 8 * HOUR;
      const left = shanghaiMidnight + 10 * HOUR + 20 * MINUTE - filed;
      // 2 working hours: what is left today, 80 minutes tomorrow, the rest the day after.
      const due = shanghaiMidnight + 2 * DAY + 9 * HOUR + (2 * HOUR - left - 80 * MINUTE);
      expect(state.firstResponseDueAt).toBe(new Date(due).toISOString());
      expect(state.firstResponseClock).toMatchObject({ workingMs: 2 * HOUR });
      expect(Date.parse(state.resolutionDueAt) - filed).toBe(15 * DAY);
      // The reminder at half (1 working hour) comes tomorrow morning, not an hour after filing.
      const reminder = shanghaiMidnight + DAY + 9 * HOUR + (HOUR - left);
      await env.sleep(reminder - MINUTE - (await env.currentTimeMs()));
      expect(fakes.complaintNotifications('complaint_first_response_reminder')).toHaveLength(0);
      await env.sleep(2 * MINUTE);
      expect(fakes.complaintNotifications('complaint_first_response_reminder')).toHaveLength(1);
      expect(fakes.complaintNotifications('complaint_first_response_late')).toHaveLength(0);
      await env.sleep(due + MINUTE - (await env.currentTimeMs()));
      expect(fakes.complaintNotifications('complaint_first_response_late')).toHaveLength(1);
    });
  });

  test('a high-priority complaint: the broker is reminded at 1 h, compliance told at 2 h, and the Web UI shows it late', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(
        env,
        tq,
        await complaintInput(env, { priority: 'high', category: 'privacy' }),
      );
      await handle.executeUpdate(complaintOpenedUpdate);

      await env.sleep(55 * MINUTE);
      expect(fakes.complaintNotifications('complaint_filed')).toEqual([
        expect.objectContaining({ recipientRole: 'compliance' }),
      ]);
      expect(fakes.complaintNotifications('complaint_first_response_reminder')).toHaveLength(0);
      await env.sleep(10 * MINUTE);
      expect(fakes.complaintNotifications('complaint_first_response_reminder')).toEqual([
        expect.objectContaining({ recipientRole: 'broker', recipientId: 'b-1' }),
      ]);
      expect(fakes.complaintNotifications('complaint_first_response_late')).toHaveLength(0);

      await env.sleep(HOUR);
      expect(fakes.complaintNotifications('complaint_first_response_late')).toEqual([
        expect.objectContaining({ recipientRole: 'compliance' }),
      ]);
      expect(fakes.events('first_response_late')).toHaveLength(1);
      const state = await handle.query(complaintStateQuery);
      expect(state).toMatchObject({ state: 'awaiting_response', lateFirstResponse: true });
      const attrs = (await handle.describe()).typedSearchAttributes;
      expect(attrs.get(ComplaintStateKey)).toBe('awaiting_response');
      expect(attrs.get(ComplaintPriorityKey)).toBe('high');
      expect(attrs.get(SlaDueAtKey)?.toISOString()).toBe(state.firstResponseDueAt);
    });
  });

  test('without a broker on the case, the reminder goes to compliance', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(
        env,
        tq,
        await complaintInput(env, { priority: 'high', caseId: null, brokerId: null, keyScope: 'complaint' }),
      );
      await handle.executeUpdate(complaintOpenedUpdate);
      await env.sleep(61 * MINUTE);
      expect(fakes.complaintNotifications('complaint_first_response_reminder')).toEqual([
        expect.objectContaining({ recipientRole: 'compliance' }),
      ]);
    });
  });

  test('a first response in time moves it on, stops the first-response clock, and points SlaDueAt at the resolution', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env, { priority: 'high' }));
      await env.sleep(30 * MINUTE);
      const { state, eventId } = await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      expect(state).toMatchObject({ state: 'in_progress', lateFirstResponse: false });
      expect(fakes.events('first_response')).toEqual([
        expect.objectContaining({ eventId, actor: 'broker:b-1', details: { via: 'phone', late: false } }),
      ]);
      expect((await handle.describe()).typedSearchAttributes.get(SlaDueAtKey)?.toISOString()).toBe(
        state.resolutionDueAt,
      );

      await env.sleep(3 * HOUR);
      expect(fakes.complaintNotifications('complaint_first_response_reminder')).toHaveLength(0);
      expect(fakes.complaintNotifications('complaint_first_response_late')).toHaveLength(0);
      expect(await refusal(handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] }))).toBe(
        'already_responded',
      );
    });
  });

  test('a first response given in time whose write is retried past the due time is on time: no late flag, compliance not told', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env, { priority: 'high' }));
      await handle.executeUpdate(complaintOpenedUpdate);
      await env.sleep(2 * HOUR - 2 * MINUTE);
      fakes.recordComplaintEventFails = new Error('connect ECONNREFUSED');
      const responding = handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      await realTimeUntil('the first response reached its write', () => fakes.events('first_response').length > 0);
      await env.sleep(4 * MINUTE); // the 2 h mark fires while the response is still being written

      fakes.recordComplaintEventFails = null;
      await env.sleep(MINUTE);
      const { state } = await responding;
      expect(state).toMatchObject({ state: 'in_progress', lateFirstResponse: false });
      await env.sleep(HOUR);
      expect(fakes.events('first_response_late')).toHaveLength(0);
      expect(fakes.complaintNotifications('complaint_first_response_late')).toHaveLength(0);
      expect(await handle.query(complaintStateQuery)).toMatchObject({ state: 'in_progress', lateFirstResponse: false });
      expect((await handle.describe()).typedSearchAttributes.get(SlaDueAtKey)?.toISOString()).toBe(
        state.resolutionDueAt,
      );
    });
  });

  test('a first response after the due time counts as late', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env, { priority: 'high' }));
      await env.sleep(3 * HOUR);
      const { state } = await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      expect(state).toMatchObject({ state: 'in_progress', lateFirstResponse: true });
    });
  });
});

describe('resolution deadline', () => {
  test('the resolution clock reminds compliance at 7.5 days and escalates at 15 days, and the complaint keeps waiting', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env, { priority: 'low' }));
      await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });

      await env.sleep(7 * DAY);
      expect(fakes.complaintNotifications('complaint_resolution_reminder')).toHaveLength(0);
      await env.sleep(DAY);
      expect(fakes.complaintNotifications('complaint_resolution_reminder')).toEqual([
        expect.objectContaining({ recipientRole: 'compliance' }),
      ]);

      await env.sleep(7 * DAY + HOUR);
      expect(fakes.complaintNotifications('complaint_resolution_late')).toEqual([
        expect.objectContaining({ recipientRole: 'compliance' }),
      ]);
      expect(await handle.query(complaintStateQuery)).toMatchObject({ state: 'in_progress', lateResolution: true });

      const { state } = await handle.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'neutral' })],
      });
      expect(state).toMatchObject({ state: 'closed', lateResolution: true });
    });
  });

  test('a close given in time whose write is retried past the resolution due time is on time: no late flag, compliance not told', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const onTime = await startComplaint(
        env,
        tq,
        await complaintInput(env, { priority: 'low', keyScope: 'complaint', caseId: null }),
      );
      await onTime.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      await env.sleep(15 * DAY - 2 * MINUTE);
      fakes.recordComplaintEventFails = new Error('connect ECONNREFUSED');
      const closing = onTime.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
      });
      await realTimeUntil('the close reached its write', () => fakes.events('closed').length > 0);
      await env.sleep(4 * MINUTE); // the 15-day mark fires while the close is still being written
      fakes.recordComplaintEventFails = null;
      await env.sleep(MINUTE);
      expect((await closing).state).toMatchObject({ state: 'closed', lateResolution: false });
      expect(fakes.events('resolution_late')).toHaveLength(0);
      expect(fakes.complaintNotifications('complaint_resolution_late')).toHaveLength(0);
    });
  });

  test('an escalation written across the resolution due time does not stop the clock: once it is written, the late notice follows', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(
        env,
        tq,
        await complaintInput(env, { priority: 'low', category: 'rate_dispute' }),
      );
      await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      await env.sleep(15 * DAY - 2 * MINUTE);
      fakes.recordComplaintEventFails = new Error('connect ECONNREFUSED');
      const escalating = handle.executeUpdate(escalateToGroupUpdate, {
        args: [sent({ by: 'compliance:c1', teams: ['risk', 'legal'] })],
      });
      await realTimeUntil('the escalation reached its write', () => fakes.events('escalated_to_group').length > 0);
      await env.sleep(4 * MINUTE);
      fakes.recordComplaintEventFails = null;
      await env.sleep(MINUTE);
      expect((await escalating).state.state).toBe('escalated');
      await env.sleep(MINUTE);
      expect(fakes.events('resolution_late')).toHaveLength(1);
      expect(fakes.complaintNotifications('complaint_resolution_late')).toEqual([
        expect.objectContaining({ recipientRole: 'compliance' }),
      ]);
      expect(await handle.query(complaintStateQuery)).toMatchObject({ state: 'escalated', lateResolution: true });
    });
  });
});

describe('escalation to a cross-team group', () => {
  test('a complex complaint goes to a group of teams, each told; it needs a first response first, and goes once', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env, { category: 'rate_dispute' }));
      const group = { by: 'compliance:c1', teams: ['risk', 'legal'] } as const;
      expect(
        await refusal(
          handle.executeUpdate(escalateToGroupUpdate, { args: [sent({ ...group, teams: [...group.teams] })] }),
        ),
      ).toBe('first_response_pending');

      await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      expect(
        await refusal(
          handle.executeUpdate(escalateToGroupUpdate, {
            args: [sent({ by: 'compliance:c1', teams: ['legal', 'legal'] })],
          }),
        ),
      ).toBe('group_too_small');
      const { state } = await handle.executeUpdate(escalateToGroupUpdate, {
        args: [sent({ ...group, teams: [...group.teams] })],
      });
      expect(state).toMatchObject({ state: 'escalated', escalatedTo: { teams: ['risk', 'legal'] } });
      expect(
        fakes
          .complaintNotifications('complaint_escalated_to_group')
          .map((n) => n.recipientId)
          .sort(),
      ).toEqual(['legal', 'risk']);
      expect((await handle.describe()).typedSearchAttributes.get(ComplaintStateKey)).toBe('escalated');
      expect(
        await refusal(
          handle.executeUpdate(escalateToGroupUpdate, {
            args: [sent({ by: 'compliance:c1', teams: ['operations', 'legal'] })],
          }),
        ),
      ).toBe('already_escalated');

      // The resolution clock runs on while the group works.
      await env.sleep(15 * DAY);
      expect(fakes.complaintNotifications('complaint_resolution_late')).toHaveLength(1);
    });
  });
});

describe('closing with the satisfaction check', () => {
  test('closing records the resolution and a satisfied customer; the case complaint then ends and takes no more actions', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env));
      expect(
        await refusal(
          handle.executeUpdate(closeComplaintUpdate, {
            args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
          }),
        ),
      ).toBe('first_response_pending');
      await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      const { state, eventId } = await handle.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
      });
      expect(state).toMatchObject({
        state: 'closed',
        resolution: 'upheld',
        satisfaction: 'satisfied',
        lateResolution: false,
        retentionDueAt: null,
      });
      expect(fakes.events('closed')).toEqual([
        expect.objectContaining({ eventId, details: { resolution: 'upheld', satisfaction: 'satisfied' } }),
      ]);
      expect(await handle.result()).toMatchObject({ state: 'closed' });
      expect(fakes.named('eraseComplaintData')).toHaveLength(0); // its text goes with the case's data key
    });
  });

  test('while a close is being recorded, an escalation or a second close is refused, so the complaint ends up one or the other', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env, { category: 'rate_dispute' }));
      await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      fakes.recordComplaintEventFails = new Error('connect ECONNREFUSED');
      const closing = handle.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
      });
      await realTimeUntil('the close reached its write', () => fakes.events('closed').length > 0);
      expect(
        await refusal(
          handle.executeUpdate(escalateToGroupUpdate, {
            args: [sent({ by: 'compliance:c1', teams: ['risk', 'legal'] })],
          }),
        ),
      ).toBe('action_in_progress');
      expect(
        await refusal(
          handle.executeUpdate(closeComplaintUpdate, {
            args: [sent({ by: 'compliance:c2', resolution: 'rejected', satisfaction: 'dissatisfied' })],
          }),
        ),
      ).toBe('action_in_progress');

      fakes.recordComplaintEventFails = null;
      await env.sleep(MINUTE);
      const { state } = await closing;
      expect(state).toMatchObject({ state: 'closed', resolution: 'upheld', escalatedTo: null });
      expect(fakes.events('escalated_to_group')).toHaveLength(0);
      expect(new Set(fakes.events('closed').map((e) => e.actor))).toEqual(new Set(['compliance:c1']));
    });
  });

  test('a dissatisfied customer reopens it once with a fresh 15-day clock; dissatisfied again, it closes and compliance is told', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await complaintInput(env));
      await handle.executeUpdate(firstResponseUpdate, { args: [sent(respond)] });
      await env.sleep(10 * DAY);
      const close = { by: 'compliance:c1', resolution: 'not_upheld', satisfaction: 'dissatisfied' } as const;
      const reopened = (await handle.executeUpdate(closeComplaintUpdate, { args: [sent(close)] })).state;
      expect(reopened).toMatchObject({ state: 'in_progress', timesReopened: 1, closedAt: null });
      expect(Date.parse(reopened.resolutionDueAt) - (await env.currentTimeMs())).toBeGreaterThan(14 * DAY);
      expect(fakes.complaintNotifications('complaint_reopened')).toHaveLength(1);

      // The first clock's end passes without a late notice: the new clock counts now.
      await env.sleep(6 * DAY);
      expect(fakes.complaintNotifications('complaint_resolution_late')).toHaveLength(0);

      const closed = (await handle.executeUpdate(closeComplaintUpdate, { args: [sent(close)] })).state;
      expect(closed).toMatchObject({ state: 'closed', satisfaction: 'dissatisfied', timesReopened: 1 });
      expect(fakes.complaintNotifications('complaint_closed_dissatisfied')).toEqual([
        expect.objectContaining({ recipientRole: 'compliance' }),
      ]);
    });
  });

  test('a complaint with its own key keeps its text for the retention period after close, then erases it', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(
        env,
        tq,
        await complaintInput(env, { caseId: null, brokerId: null, keyScope: 'complaint' }),
      );
      await handle.executeUpdate(firstResponseUpdate, { args: [sent({ by: 'compliance:c1', via: 'phone' })] });
      const { state } = await handle.executeUpdate(closeComplaintUpdate, {
        args: [sent({ by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' })],
      });
      expect(Date.parse(state.retentionDueAt!) - Date.parse(state.closedAt!)).toBe(90 * DAY);

      await env.sleep(89 * DAY);
      expect(fakes.named('eraseComplaintData')).toHaveLength(0);
      expect(
        await refusal(
          handle.executeUpdate(firstResponseUpdate, { args: [sent({ by: 'compliance:c1', via: 'phone' })] }),
        ),
      ).toBe('complaint_closed');
      await env.sleep(2 * DAY);
      expect(await handle.result()).toMatchObject({ state: 'erased' });
      expect(fakes.named('eraseComplaintData')).toEqual([expect.objectContaining({ complaintId: state.complaintId })]);
    });
  });
});

describe('legal hold on a complaint without a case', () => {
  const close = { by: 'compliance:c1', resolution: 'upheld', satisfaction: 'satisfied' } as const;
  const ownKey = () => complaintInput(env, { caseId: null, brokerId: null, keyScope: 'complaint' });

  test('a hold during retention stops its clock: nothing is erased while it lasts, and the rest of the period runs after the release', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await ownKey());
      await handle.executeUpdate(firstResponseUpdate, { args: [sent({ by: 'compliance:c1', via: 'phone' })] });
      await handle.executeUpdate(closeComplaintUpdate, { args: [sent(close)] });
      await env.sleep(30 * DAY);

      const held = await handle.executeUpdate(complaintLegalHoldUpdate, {
        args: [sent({ hold: true, by: 'compliance:c2' })],
      });
      expect(held.state.legalHold?.by).toBe('compliance:c2');
      // What was left of the 90 days: 60, less the moments the update took to arrive.
      expect(held.state.legalHold?.remainingMs).toBeLessThanOrEqual(60 * DAY);
      expect(held.state.legalHold?.remainingMs).toBeGreaterThan(60 * DAY - HOUR);
      expect(fakes.events('legal_hold_placed')).toHaveLength(1);
      expect(fakes.named('projectComplaint').at(-1)?.projection.legalHold).toBe(true);
      await env.sleep(200 * DAY); // well past the original due date
      expect(fakes.named('eraseComplaintData')).toHaveLength(0);
      expect(
        await refusal(
          handle.executeUpdate(complaintLegalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c2' })] }),
        ),
      ).toBe('already_on_hold');

      const released = await handle.executeUpdate(complaintLegalHoldUpdate, {
        args: [sent({ hold: false, by: 'compliance:c2' })],
      });
      expect(released.state.legalHold).toBeNull();
      expect(Date.parse(released.state.retentionDueAt!) - (await env.currentTimeMs())).toBeLessThanOrEqual(60 * DAY);
      expect(Date.parse(released.state.retentionDueAt!) - (await env.currentTimeMs())).toBeGreaterThan(60 * DAY - HOUR);
      expect(fakes.named('projectComplaint').at(-1)?.projection.legalHold).toBe(false);
      await env.sleep(59 * DAY);
      expect(fakes.named('eraseComplaintData')).toHaveLength(0);
      await env.sleep(2 * DAY);
      expect(await handle.result()).toMatchObject({ state: 'erased' });
      expect(fakes.named('eraseComplaintData')).toHaveLength(1);
    });
  });

  test('a hold placed while the complaint is open keeps all of retention for after its release', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(env, tq, await ownKey());
      await handle.executeUpdate(firstResponseUpdate, { args: [sent({ by: 'compliance:c1', via: 'phone' })] });
      expect(
        (await handle.executeUpdate(complaintLegalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c2' })] }))
          .state.legalHold?.remainingMs,
      ).toBeNull();
      const { state } = await handle.executeUpdate(closeComplaintUpdate, { args: [sent(close)] });
      expect(state.legalHold?.remainingMs).toBe(90 * DAY);
      await env.sleep(365 * DAY);
      expect(fakes.named('eraseComplaintData')).toHaveLength(0);
      const released = await handle.executeUpdate(complaintLegalHoldUpdate, {
        args: [sent({ hold: false, by: 'compliance:c2' })],
      });
      expect(Date.parse(released.state.retentionDueAt!) - (await env.currentTimeMs())).toBeGreaterThan(90 * DAY - HOUR);
      await env.sleep(91 * DAY);
      expect(await handle.result()).toMatchObject({ state: 'erased' });
    });
  });

  test('refused: a complaint sealed with its case’s key (hold the case instead), and a release without a hold', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const withCase = await startComplaint(env, tq, await complaintInput(env, {}));
      await withCase.executeUpdate(complaintOpenedUpdate);
      expect(
        await refusal(
          withCase.executeUpdate(complaintLegalHoldUpdate, { args: [sent({ hold: true, by: 'compliance:c2' })] }),
        ),
      ).toBe('hold_the_case');
      const own = await startComplaint(env, tq, await ownKey());
      await own.executeUpdate(complaintOpenedUpdate);
      expect(
        await refusal(
          own.executeUpdate(complaintLegalHoldUpdate, { args: [sent({ hold: false, by: 'compliance:c2' })] }),
        ),
      ).toBe('not_on_hold');
      expect(fakes.events('legal_hold_placed')).toHaveLength(0);
    });
  });
});

describe('harassment about contact', () => {
  test('puts the case on do-not-contact before the filing is answered: the broker’s next contact attempt is refused', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const lead = await startCase(env, tq, caseInput({ consentAtIntake: withConsent() }));
      await untilInFollowUp(env, lead);
      expect((await lead.query(stateQuery)).brokerId).toBe('b-1');

      const input = await complaintInput(env, {
        caseId: (await lead.query(stateQuery)).caseId,
        category: 'harassment',
        priority: 'high',
        doNotContact: true,
      });
      const handle = await startComplaint(env, tq, input);
      const { state } = await handle.executeUpdate(complaintOpenedUpdate);
      expect(state.doNotContact).toBe('applied');

      expect((await lead.query(stateQuery)).doNotContact).toBe(true);
      const call = { brokerId: 'b-1', channel: 'phone', purpose: 'service', outcome: 'reached' } as const;
      expect(await refusal(lead.executeUpdate(contactAttemptUpdate, { args: [sent(call)] }))).toBe('do_not_contact');
      expect(fakes.events('do_not_contact')).toEqual([
        expect.objectContaining({ details: { caseId: input.facts.caseId, result: 'applied' } }),
      ]);
      expect(fakes.named('projectCase').at(-1).projection.doNotContact).toBe(true);
    });
  });

  test('a case whose workflow has ended is recorded as such, and the complaint goes on', async () => {
    const fakes = new ComplaintFakes();
    await withWorker(env, fakes, async (tq) => {
      const handle = await startComplaint(
        env,
        tq,
        await complaintInput(env, { category: 'harassment', priority: 'high', doNotContact: true }),
      );
      const { state } = await handle.executeUpdate(complaintOpenedUpdate);
      expect(state).toMatchObject({ doNotContact: 'case_finished', state: 'awaiting_response' });
    });
  });
});
