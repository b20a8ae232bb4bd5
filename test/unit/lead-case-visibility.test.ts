import type { Deadline, LeadCaseState } from '../../src/modules/lead/messages';
import {
  caseDetails,
  consentStateOf,
  projectionOf,
  searchAttributesOf,
  slaStateOf,
  stillAsProjectedAtIntake,
  waitingFor,
} from '../../src/modules/lead/workflow/visibility';
import {
  caseStaticDetails,
  caseSummary,
  provinceName,
  type TextSettings,
} from '../../src/modules/lead/rules/case-text';

const granted = { granted: true, noticeVersion: '2026-01', at: '2026-11-18T02:00:00.000Z' };
const notGranted = { granted: false, noticeVersion: null, at: null };

function aDeadline(overrides: Partial<Deadline> = {}): Deadline {
  return {
    kind: 'consent',
    startedAt: '2026-11-18T02:00:00.000Z',
    dueAt: '2026-11-21T02:00:00.000Z',
    reminded: false,
    escalated: false,
    ...overrides,
  };
}

/** A case just opened without consent; each test changes what its situation needs. */
function aLeadState(overrides: Partial<LeadCaseState> = {}): LeadCaseState {
  return {
    caseId: 'case-1',
    facts: {
      channelId: 'ch-web',
      channelGrade: 'premium',
      amountCny: 50_000,
      termMonths: 12,
      loanPurpose: 'consumption',
      ageBand: '30-39',
      provinceCode: '310000',
      vulnerable: false,
      local: true,
    },
    stage: 'awaiting_consent',
    seq: 1,
    consent: { credit_assessment: { ...notGranted }, lender_sharing: { ...notGranted }, marketing: { ...notGranted } },
    consentState: 'none',
    tier: null,
    rulesFired: [],
    requiredDocuments: [],
    reviewEscalated: false,
    humanReviewRequested: false,
    brokerId: null,
    previousBrokerIds: [],
    departedBrokerIds: [],
    deadline: aDeadline(),
    matches: [],
    lenderConsents: {},
    costAcknowledgements: {},
    selectedProductId: null,
    doNotContact: false,
    contactDay: null,
    contactAttempts: 0,
    outcome: null,
    closeReason: null,
    closedAt: null,
    retentionDueAt: null,
    legalHold: null,
    erasedAt: null,
    ...overrides,
  };
}

describe('the consent state', () => {
  test('none, partial or granted by the purposes granted', () => {
    expect(consentStateOf(aLeadState(), false)).toBe('none');
    const some = aLeadState({
      consent: { credit_assessment: granted, lender_sharing: notGranted, marketing: notGranted },
    });
    expect(consentStateOf(some, false)).toBe('partial');
    const all = aLeadState({ consent: { credit_assessment: granted, lender_sharing: granted, marketing: granted } });
    expect(consentStateOf(all, false)).toBe('granted');
  });

  test('a withdrawal of credit-assessment consent outranks every grant, and stays', () => {
    const all = aLeadState({ consent: { credit_assessment: granted, lender_sharing: granted, marketing: granted } });
    expect(consentStateOf(all, true)).toBe('withdrawn');
    expect(consentStateOf({ ...all, consentState: 'withdrawn' }, false)).toBe('withdrawn');
  });
});

const zh: TextSettings = { locale: 'zh-CN', timeZone: 'Asia/Shanghai' };
const en: TextSettings = { locale: 'en', timeZone: 'Asia/Shanghai' };
/** An hour after the deadlines of aDeadline() started, well before they fall due. */
const early = Date.parse('2026-11-18T03:00:00.000Z');

describe('what the case is waiting for', () => {
  test("a new case waits for the customer's consent until its deadline, in Beijing time", () => {
    expect(waitingFor(aLeadState(), zh, early)).toBe('客户授权征信评估（期限 2026-11-21 10:00 北京时间）');
    expect(waitingFor(aLeadState(), en, early)).toBe(
      "the customer's credit-assessment consent (due 2026-11-21 10:00 Beijing time)",
    );
  });

  test('an escalated review counting working hours says both', () => {
    const state = aLeadState({
      stage: 'manual_review',
      tier: 'B',
      reviewEscalated: true,
      deadline: aDeadline({ kind: 'review', workingMs: 24 * 3_600_000 }),
    });
    expect(waitingFor(state, zh, early)).toBe(
      '风控人员审核（期限 2026-11-21 10:00 北京时间，按工作时间计），已上报经理',
    );
    expect(waitingFor(state, en, early)).toBe(
      "a risk officer's review (due 2026-11-21 10:00 Beijing time, counting working hours), escalated",
    );
  });

  test("in follow-up it names the broker and the deadline's kind, or the shared pool", () => {
    const first = aLeadState({ stage: 'follow_up', brokerId: 'b-7', deadline: aDeadline({ kind: 'first_contact' }) });
    expect(waitingFor(first, zh, early)).toBe('经纪人 b-7 首次联系（期限 2026-11-21 10:00 北京时间）');
    expect(waitingFor(first, en, early)).toBe('first contact by broker b-7 (due 2026-11-21 10:00 Beijing time)');
    expect(waitingFor({ ...first, deadline: aDeadline({ kind: 'follow_up' }) }, zh, early)).toMatch(/^经纪人 b-7 跟进/);
    expect(waitingFor({ ...first, brokerId: null }, zh, early)).toMatch(/^经纪人从公共池领取/);
    expect(waitingFor({ ...first, brokerId: null }, en, early)).toMatch(
      /^a broker to pick the case from the shared pool/,
    );
  });

  test('past its due time it says how late, rewritten each time the details are', () => {
    const late = aLeadState({
      stage: 'follow_up',
      brokerId: 'b-7',
      deadline: aDeadline({ kind: 'first_contact', reminded: true, escalated: true }),
    });
    const due = Date.parse('2026-11-21T02:00:00.000Z');
    expect(waitingFor(late, zh, due)).toBe('经纪人 b-7 首次联系，已超时（期限 2026-11-21 10:00 北京时间）');
    expect(waitingFor(late, zh, due + 80 * 60_000)).toBe(
      '经纪人 b-7 首次联系，已超时 1 小时 20 分（期限 2026-11-21 10:00 北京时间）',
    );
    expect(waitingFor(late, en, due + 26 * 3_600_000)).toBe(
      'first contact by broker b-7 (overdue by 1 d 2 h; was due 2026-11-21 10:00 Beijing time)',
    );
  });

  test('a closed case waits for the end of its retention, or for the release of its legal hold', () => {
    const closed = aLeadState({ stage: 'closed', deadline: null, retentionDueAt: '2027-05-17T02:00:00.000Z' });
    expect(waitingFor(closed, zh, early)).toBe('保留期届满（2027-05-17 10:00 北京时间），随后删除个人信息');
    expect(waitingFor(closed, en, early)).toBe('the end of retention on 2027-05-17 10:00 Beijing time, then erasure');
    const held = { ...closed, legalHold: { placedAt: '2026-12-01T00:00:00.000Z', remainingMs: 1000 } };
    expect(waitingFor(held, zh, early)).toBe('法律保全解除（保留期暂停计算）');
  });

  test('a submitted case waits for the lender; an erased one for nothing', () => {
    expect(waitingFor(aLeadState({ stage: 'submitted', selectedProductId: 'P-1' }), en, early)).toBe(
      "the lender's decision on product P-1",
    );
    expect(waitingFor(aLeadState({ stage: 'erased', deadline: null }), zh, early)).toBe('无：个人信息已删除');
  });

  test('another time zone is named as such', () => {
    expect(waitingFor(aLeadState(), { locale: 'en', timeZone: 'Asia/Urumqi' }, early)).toBe(
      "the customer's credit-assessment consent (due 2026-11-21 08:00 Asia/Urumqi)",
    );
  });
});

describe('the SLA state', () => {
  test('on time, due soon after the reminder, overdue after the due mark, empty without a deadline', () => {
    expect(slaStateOf(aDeadline())).toBe('on_time');
    expect(slaStateOf(aDeadline({ reminded: true }))).toBe('due_soon');
    expect(slaStateOf(aDeadline({ reminded: true, escalated: true }))).toBe('overdue');
    expect(slaStateOf(aDeadline({ escalated: true }))).toBe('overdue'); // a review: no reminder, late at its due time
    expect(slaStateOf(null)).toBeNull();
  });
});

describe('the search attributes', () => {
  const byKey = (state: LeadCaseState) =>
    Object.fromEntries(searchAttributesOf(state).map((p) => [p.key.name, p.value]));

  test("carry the case's stage, tier, broker, consent, due time, SLA state and facts; never personal data", () => {
    const state = aLeadState({ stage: 'follow_up', tier: 'A', brokerId: 'b-7', consentState: 'granted' });
    expect(byKey(state)).toEqual({
      LeadStage: 'follow_up',
      RiskTier: 'A',
      ChannelId: 'ch-web',
      BrokerId: 'b-7',
      ConsentState: 'granted',
      SlaDueAt: new Date('2026-11-21T02:00:00.000Z'),
      SlaState: 'on_time',
      CloseReason: null,
      LegalHold: false,
      RetentionDueAt: null,
      Vulnerable: false,
      AmountCny: 50_000,
    });
  });

  test('clear the tier, broker, due time and SLA state the case does not have', () => {
    const attrs = byKey(aLeadState({ deadline: null }));
    expect([attrs.RiskTier, attrs.BrokerId, attrs.SlaDueAt, attrs.SlaState]).toEqual([null, null, null, null]);
  });

  test('a closed case on hold shows why it closed, the hold and when its retention ends', () => {
    const attrs = byKey(
      aLeadState({
        stage: 'closed',
        closeReason: 'lost',
        deadline: null,
        retentionDueAt: '2027-05-17T02:00:00.000Z',
        legalHold: { placedAt: '2026-12-01T00:00:00.000Z', remainingMs: 1000 },
      }),
    );
    expect(attrs).toMatchObject({
      CloseReason: 'lost',
      LegalHold: true,
      RetentionDueAt: new Date('2027-05-17T02:00:00.000Z'),
      SlaState: null,
    });
  });
});

describe('the details managers read', () => {
  test('a first run shows the stage, what it waits for, its SLA state and the case at a glance, in Chinese by default', () => {
    const lines = caseDetails(aLeadState({ tier: 'B', brokerId: 'b-7' }), false, zh, early).split('\n');
    expect(lines).toEqual([
      '**阶段：** 待同意',
      '**等待：** 客户授权征信评估（期限 2026-11-21 10:00 北京时间）',
      '**时限：** 正常',
      '**风险等级：** B · **授权：** 未授权 · **特殊人群：** 否 · **本地：** 是',
      '**渠道：** ch-web · **省份：** 上海市 · **经纪人：** b-7',
    ]);
  });

  test('the same in English', () => {
    const lines = caseDetails(aLeadState({ tier: 'B', brokerId: 'b-7' }), false, en, early).split('\n');
    expect(lines).toEqual([
      '**Stage:** awaiting consent',
      "**Waiting for:** the customer's credit-assessment consent (due 2026-11-21 10:00 Beijing time)",
      '**SLA:** on time',
      '**Tier:** B · **Consent:** none · **Vulnerable:** no · **Local:** yes',
      '**Channel:** ch-web · **Province:** 上海市 · **Broker:** b-7',
    ]);
  });

  test('a run continued as new carries its summary first; a closed case its reason', () => {
    const state = aLeadState({
      stage: 'declined',
      closeReason: 'prescreen_declined',
      deadline: null,
      retentionDueAt: '2027-01-01T00:00:00.000Z',
    });
    const lines = caseDetails(state, true, zh, early).split('\n');
    expect(lines[0]).toBe('线索案件 · ch-web · 50000 元 / 12 个月 · 消费 · 上海市（续自早前运行）');
    expect(lines[1]).toBe('**阶段：** 已拒绝（初审拒绝）');
    expect(lines).toHaveLength(5);
    expect(caseDetails(state, true, en, early).split('\n')[1]).toBe('**Stage:** declined (prescreen declined)');
  });

  test("the static summary and details name the province, not its code, and the facts in the case's language", () => {
    const f = aLeadState().facts;
    expect(caseSummary(f, zh)).toBe('线索案件 · ch-web · 50000 元 / 12 个月 · 消费 · 上海市');
    expect(caseStaticDetails(f, zh)).toBe('年龄段 30-39 · 上海市 · 本地 · 渠道等级 优质');
    expect(caseStaticDetails({ ...f, vulnerable: true, local: false }, en)).toBe(
      'Age band 30-39 · 上海市 · non-local · vulnerable (no marketing, review path B) · channel grade premium',
    );
    expect(provinceName('11')).toBe('北京市');
    expect(provinceName('99')).toBe('99');
  });
});

describe('the projection', () => {
  test('is the state under its sequence number, at the time given', () => {
    const state = aLeadState({
      stage: 'follow_up',
      seq: 9,
      tier: 'A',
      brokerId: 'b-7',
      deadline: aDeadline({ kind: 'first_contact' }),
    });
    const p = projectionOf(state, new Date('2026-11-18T03:00:00.000Z'));
    expect(p).toMatchObject({ caseId: 'case-1', seq: 9, at: '2026-11-18T03:00:00.000Z' });
    expect(p.projection).toMatchObject({
      stage: 'follow_up',
      isOpen: true,
      riskTier: 'A',
      brokerId: 'b-7',
      slaDueAt: '2026-11-21T02:00:00.000Z',
      slaKind: 'first_contact',
      legalHold: false,
    });
  });

  test('a closed case on hold is not open, has no deadline, and shows the hold', () => {
    const state = aLeadState({
      stage: 'closed',
      deadline: null,
      closedAt: '2026-11-20T00:00:00.000Z',
      retentionDueAt: '2027-05-19T00:00:00.000Z',
      legalHold: { placedAt: '2026-12-01T00:00:00.000Z', remainingMs: 1000 },
    });
    expect(projectionOf(state, new Date()).projection).toMatchObject({
      isOpen: false,
      slaDueAt: null,
      slaKind: null,
      closedAt: '2026-11-20T00:00:00.000Z',
      retentionDueAt: '2027-05-19T00:00:00.000Z',
      legalHold: true,
    });
  });
});

describe('a case still as its intake projected it', () => {
  test('is, while nothing happened since: there is nothing to write', () => {
    const state = aLeadState();
    expect(stillAsProjectedAtIntake(state, state.deadline, false)).toBe(true);
  });

  test('is not once anything changed, its deadline was replaced, or the intake projected nothing', () => {
    const state = aLeadState();
    const intakeDeadline = state.deadline;
    expect(stillAsProjectedAtIntake({ ...state, seq: 2 }, intakeDeadline, false)).toBe(false);
    expect(stillAsProjectedAtIntake({ ...state, doNotContact: true }, intakeDeadline, false)).toBe(false);
    expect(stillAsProjectedAtIntake({ ...state, deadline: { ...intakeDeadline! } }, intakeDeadline, false)).toBe(false);
    expect(stillAsProjectedAtIntake(state, intakeDeadline, true)).toBe(false);
    expect(stillAsProjectedAtIntake(state, null, false)).toBe(false);
  });
});
