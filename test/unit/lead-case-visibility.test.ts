import type { Deadline, LeadCaseState } from '../../src/modules/lead/messages';
import {
  caseDetails,
  consentStateOf,
  projectionOf,
  searchAttributesOf,
  stillAsProjectedAtIntake,
  waitingFor,
} from '../../src/modules/lead/workflow/visibility';

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

describe('what the case is waiting for', () => {
  test("a new case waits for the customer's consent until its deadline", () => {
    expect(waitingFor(aLeadState())).toBe("the customer's credit-assessment consent (due 2026-11-21T02:00:00.000Z)");
  });

  test('an escalated review counting working hours says both', () => {
    const state = aLeadState({
      stage: 'manual_review',
      tier: 'B',
      reviewEscalated: true,
      deadline: aDeadline({ kind: 'review', workingMs: 24 * 3_600_000 }),
    });
    expect(waitingFor(state)).toBe(
      "a risk officer's review (due 2026-11-21T02:00:00.000Z, counting working hours), escalated",
    );
  });

  test("in follow-up it names the broker and the deadline's kind, or the shared pool", () => {
    const first = aLeadState({ stage: 'follow_up', brokerId: 'b-7', deadline: aDeadline({ kind: 'first_contact' }) });
    expect(waitingFor(first)).toBe('first contact by broker b-7 (due 2026-11-21T02:00:00.000Z)');
    expect(waitingFor({ ...first, deadline: aDeadline({ kind: 'follow_up' }) })).toMatch(/^follow-up by broker b-7/);
    expect(waitingFor({ ...first, brokerId: null })).toMatch(/^a broker to pick the case from the shared pool/);
  });

  test('a closed case waits for the end of its retention, or for the release of its legal hold', () => {
    const closed = aLeadState({ stage: 'closed', deadline: null, retentionDueAt: '2027-05-17T02:00:00.000Z' });
    expect(waitingFor(closed)).toBe('the end of retention on 2027-05-17T02:00:00.000Z, then erasure');
    const held = { ...closed, legalHold: { placedAt: '2026-12-01T00:00:00.000Z', remainingMs: 1000 } };
    expect(waitingFor(held)).toBe('release of the legal hold (retention clock paused)');
  });

  test('a submitted case waits for the lender; an erased one for nothing', () => {
    expect(waitingFor(aLeadState({ stage: 'submitted', selectedProductId: 'P-1' }))).toBe(
      "the lender's decision on product P-1",
    );
    expect(waitingFor(aLeadState({ stage: 'erased', deadline: null }))).toBe('nothing: personal data erased');
  });
});

describe('the search attributes', () => {
  const byKey = (state: LeadCaseState) =>
    Object.fromEntries(searchAttributesOf(state).map((p) => [p.key.name, p.value]));

  test("carry the case's stage, tier, broker, consent, due time and facts; never personal data", () => {
    const state = aLeadState({ stage: 'follow_up', tier: 'A', brokerId: 'b-7', consentState: 'granted' });
    expect(byKey(state)).toEqual({
      LeadStage: 'follow_up',
      RiskTier: 'A',
      ChannelId: 'ch-web',
      BrokerId: 'b-7',
      ConsentState: 'granted',
      SlaDueAt: new Date('2026-11-21T02:00:00.000Z'),
      Vulnerable: false,
      AmountCny: 50_000,
    });
  });

  test('clear the tier, broker and due time the case does not have', () => {
    const attrs = byKey(aLeadState({ deadline: null }));
    expect([attrs.RiskTier, attrs.BrokerId, attrs.SlaDueAt]).toEqual([null, null, null]);
  });
});

describe('the details managers read', () => {
  test('a first run shows the stage, what it waits for, and the case at a glance', () => {
    const lines = caseDetails(aLeadState({ tier: 'B', brokerId: 'b-7' }), false).split('\n');
    expect(lines).toEqual([
      '**Stage:** awaiting_consent',
      "**Waiting for:** the customer's credit-assessment consent (due 2026-11-21T02:00:00.000Z)",
      '**Tier:** B · **Consent:** none · **Vulnerable:** no · **Local:** yes',
      '**Channel:** ch-web (premium) · **Amount:** 50000 CNY / 12 months · **Broker:** b-7',
    ]);
  });

  test('a run continued as new carries its summary first; a closed case its reason', () => {
    const state = aLeadState({
      stage: 'declined',
      closeReason: 'prescreen_declined',
      deadline: null,
      retentionDueAt: '2027-01-01T00:00:00.000Z',
    });
    const lines = caseDetails(state, true).split('\n');
    expect(lines[0]).toBe(
      '**Lead case** · ch-web · 50000 CNY over 12 months · consumption (continued from an earlier run)',
    );
    expect(lines[1]).toBe('**Stage:** declined (prescreen_declined)');
    expect(lines).toHaveLength(5);
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
