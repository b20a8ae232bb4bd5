import { parsePolicy } from '../../src/platform/config/policy';
import {
  BrokerIdKey,
  ChannelIdKey,
  ComplaintPriorityKey,
  ComplaintStateKey,
  CloseReasonKey,
  LegalHoldKey,
  RetentionDueAtKey,
  SlaDueAtKey,
  SlaStateKey,
} from '../../src/platform/temporal/search-attributes';
import type { ComplaintCaseState, ComplaintFacts } from '../../src/modules/complaint/messages';
import { initialComplaintState } from '../../src/modules/complaint/workflow/state';
import {
  currentDetails,
  nextDueAt,
  notificationPayload,
  projection,
  searchAttributes,
  slaStateOf,
  waitingFor,
} from '../../src/modules/complaint/workflow/view';
import type { TextSettings } from '../../src/platform/domain/text';

const en: TextSettings = { locale: 'en', timeZone: 'Asia/Shanghai' };
const zh: TextSettings = { locale: 'zh-CN', timeZone: 'Asia/Shanghai' };

/** The first response on the clock (no deadline counts working time): these tests are not about the calendar. */
const onTheClock = parsePolicy({ businessHours: { deadlines: [] } });

const filedAt = '2026-03-02T09:00:00.000Z';
const firstResponseDueAt = '2026-03-03T09:00:00.000Z';
const resolutionDueAt = '2026-03-17T09:00:00.000Z';

function aComplaint(facts: Partial<ComplaintFacts> = {}, state: Partial<ComplaintCaseState> = {}): ComplaintCaseState {
  const all: ComplaintFacts = {
    complaintId: 'k-1',
    caseId: 'c-1',
    channelId: 'ch-1',
    brokerId: 'b-1',
    category: 'rate_dispute',
    priority: 'normal',
    priorityRaisedBy: [],
    doNotContact: false,
    keyScope: 'case',
    ...facts,
  };
  return {
    ...initialComplaintState({ facts: all, filedBy: 'compliance:c1', filedAt, policy: onTheClock }),
    ...state,
  };
}
const answered = (state: Partial<ComplaintCaseState> = {}) =>
  aComplaint(
    {},
    { state: 'in_progress', firstRespondedAt: '2026-03-02T10:00:00.000Z', firstResponseClock: null, ...state },
  );
const closed = (state: Partial<ComplaintCaseState> = {}) =>
  answered({
    state: 'closed',
    closedAt: '2026-03-05T09:00:00.000Z',
    resolutionClock: null,
    resolution: 'upheld',
    satisfaction: 'satisfied',
    ...state,
  });

describe('the next due time', () => {
  test('is the first response until it comes, then the resolution; none once closed or erased', () => {
    expect(nextDueAt(aComplaint())).toBe(firstResponseDueAt);
    expect(nextDueAt(answered())).toBe(resolutionDueAt);
    expect(nextDueAt(closed())).toBeNull();
    expect(nextDueAt(closed({ state: 'erased' }))).toBeNull();
  });
});

describe('what the complaint is waiting for', () => {
  test('a new complaint waits for its broker or compliance to answer, or compliance alone without a broker', () => {
    expect(waitingFor(aComplaint(), en)).toBe(
      `a first response by broker b-1 or compliance (due 2026-03-03 17:00 Beijing time)`,
    );
    expect(waitingFor(aComplaint({ brokerId: null }), en)).toBe(
      `a first response by compliance (due 2026-03-03 17:00 Beijing time)`,
    );
  });

  test('an answered complaint waits for a resolution; an escalated one for its group', () => {
    expect(waitingFor(answered(), en)).toBe(
      `a resolution and the customer's satisfaction result (due 2026-03-17 17:00 Beijing time)`,
    );
    const escalated = answered({ state: 'escalated', escalatedTo: { teams: ['risk', 'legal'], at: filedAt } });
    expect(waitingFor(escalated, en)).toBe(
      `the cross-team group (risk, legal) to resolve it (due 2026-03-17 17:00 Beijing time)`,
    );
  });

  test('a closed complaint waits for nothing, for the end of its retention, or for the release of its hold', () => {
    const retentionDueAt = '2026-06-03T09:00:00.000Z';
    expect(waitingFor(closed(), en)).toBe('nothing: closed');
    expect(waitingFor(closed({ retentionDueAt }), en)).toBe(
      'the end of retention on 2026-06-03 17:00 Beijing time, then erasure of its description',
    );
    const legalHold = { placedAt: '2026-04-01T00:00:00.000Z', by: 'compliance:c2', remainingMs: 1 };
    expect(waitingFor(closed({ retentionDueAt, legalHold }), en)).toMatch(
      /^the release of its legal hold \(placed 2026-04-01 08:00 Beijing time\)/,
    );
    expect(waitingFor(closed({ state: 'erased' }), en)).toBe('nothing: description erased');
  });
});

describe('the current details', () => {
  test('show the state, the priority rules that raised it, the case and the do-not-contact result', () => {
    const details = currentDetails(aComplaint({ priority: 'high', priorityRaisedBy: ['vulnerable_customer'] }), en);
    expect(details.split('\n')).toEqual([
      '**State:** awaiting response',
      // High priority: answered within 2 h of filing.
      '**Waiting for:** a first response by broker b-1 or compliance (due 2026-03-02 19:00 Beijing time)',
      '**SLA:** on time',
      '**Priority:** high (raised by vulnerable_customer) · **Category:** rate dispute · **Reopened:** 0',
      '**Case:** c-1 · **Channel:** ch-1 · **Broker:** b-1 · **Do-not-contact:** not_needed',
    ]);
  });

  test('name the clocks that ran out, the outcome, and a legal hold', () => {
    const legalHold = { placedAt: '2026-04-01T00:00:00.000Z', by: 'compliance:c2', remainingMs: null };
    const lines = currentDetails(closed({ lateFirstResponse: true, lateResolution: true, legalHold }), en).split('\n');
    expect(lines[0]).toBe(
      '**State:** closed (upheld, customer satisfied) · **Late:** first response late, resolution late',
    );
    expect(lines.at(-1)).toBe('**Legal hold:** since 2026-04-01 08:00 Beijing time, by compliance:c2');
  });

  test('read in Chinese by default, with Beijing due times and the SLA state', () => {
    const details = currentDetails(aComplaint({ priority: 'high', priorityRaisedBy: ['vulnerable_customer'] }), zh);
    expect(details.split('\n')).toEqual([
      '**状态：** 待首次响应',
      '**等待：** 经纪人 b-1 或合规首次响应（期限 2026-03-02 19:00 北京时间）',
      '**时限：** 正常',
      '**优先级：** 高（因 vulnerable_customer 提高） · **类别：** 费率争议 · **重开次数：** 0',
      '**案件：** c-1 · **渠道：** ch-1 · **经纪人：** b-1 · **禁止联系：** 无需',
    ]);
    const late = currentDetails(closed({ lateFirstResponse: true, lateResolution: true }), zh).split('\n');
    expect(late[0]).toBe('**状态：** 已结案（投诉成立，客户满意） · **超时：** 首次响应超时，处理超时');
  });

  test('say "none" for a complaint with no case, channel or broker', () => {
    const details = currentDetails(aComplaint({ caseId: null, channelId: null, brokerId: null }), en);
    expect(details).toContain('**Case:** none · **Channel:** none · **Broker:** none');
  });
});

describe('the search attributes', () => {
  test('carry the state, priority, channel, broker, the next due time and where it stands against it', () => {
    expect(searchAttributes(aComplaint())).toEqual([
      { key: ComplaintStateKey, value: 'awaiting_response' },
      { key: ComplaintPriorityKey, value: 'normal' },
      { key: SlaDueAtKey, value: new Date(firstResponseDueAt) },
      { key: SlaStateKey, value: 'on_time' },
      { key: CloseReasonKey, value: null },
      { key: LegalHoldKey, value: false },
      { key: RetentionDueAtKey, value: null },
      { key: ChannelIdKey, value: 'ch-1' },
      { key: BrokerIdKey, value: 'b-1' },
    ]);
  });

  test('clear SlaDueAt and SlaState once the complaint is closed, and show how it ended', () => {
    const attrs = searchAttributes(closed({ retentionDueAt: '2026-06-03T09:00:00.000Z' }));
    const value = (key: unknown) => attrs.find((a) => a.key === key)?.value;
    expect([value(SlaDueAtKey), value(SlaStateKey), value(CloseReasonKey), value(RetentionDueAtKey)]).toEqual([
      null,
      null,
      'upheld',
      new Date('2026-06-03T09:00:00.000Z'),
    ]);
  });

  test('SlaState: due soon once either running clock reminded, overdue once either is late', () => {
    const clock = aComplaint().firstResponseClock!;
    expect(slaStateOf(aComplaint({}, { firstResponseClock: { ...clock, reminded: true } }))).toBe('due_soon');
    expect(slaStateOf(aComplaint({}, { firstResponseClock: { ...clock, reminded: true, escalated: true } }))).toBe(
      'overdue',
    );
    expect(slaStateOf(answered())).toBe('on_time');
  });
});

describe('the projection', () => {
  test('of an escalated, held complaint carries its teams, its hold as a flag and its next due time', () => {
    const legalHold = { placedAt: filedAt, by: 'compliance:c2', remainingMs: null };
    const complaint = answered({
      state: 'escalated',
      escalatedTo: { teams: ['risk', 'legal'], at: filedAt },
      legalHold,
    });
    expect(projection(complaint)).toMatchObject({
      state: 'escalated',
      escalatedTeams: ['risk', 'legal'],
      escalatedAt: filedAt,
      nextDueAt: resolutionDueAt,
      legalHold: true,
      firstRespondedAt: '2026-03-02T10:00:00.000Z',
    });
  });

  test('of a new complaint has no teams, no hold and its first-response due time next', () => {
    expect(projection(aComplaint())).toEqual({
      state: 'awaiting_response',
      firstResponseDueAt,
      firstRespondedAt: null,
      lateFirstResponse: false,
      resolutionDueAt,
      lateResolution: false,
      nextDueAt: firstResponseDueAt,
      escalatedTeams: null,
      escalatedAt: null,
      timesReopened: 0,
      doNotContact: 'not_needed',
      resolution: null,
      satisfaction: null,
      closedAt: null,
      retentionDueAt: null,
      legalHold: false,
    });
  });
});

describe('a notification', () => {
  test('carries IDs, codes and the due time, plus what its kind adds', () => {
    expect(notificationPayload(answered(), { teams: ['risk', 'legal'] })).toEqual({
      complaintId: 'k-1',
      caseId: 'c-1',
      category: 'rate_dispute',
      priority: 'normal',
      state: 'in_progress',
      dueAt: resolutionDueAt,
      teams: ['risk', 'legal'],
    });
  });
});
