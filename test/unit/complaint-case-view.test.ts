import { defaultPolicy } from '../../src/platform/config/policy';
import {
  BrokerIdKey,
  ChannelIdKey,
  ComplaintPriorityKey,
  ComplaintStateKey,
  SlaDueAtKey,
} from '../../src/platform/temporal/search-attributes';
import type { ComplaintCaseState, ComplaintFacts } from '../../src/modules/complaint/messages';
import { initialComplaintState } from '../../src/modules/complaint/workflow/state';
import {
  currentDetails,
  nextDueAt,
  notificationPayload,
  projection,
  searchAttributes,
  waitingFor,
} from '../../src/modules/complaint/workflow/view';

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
    ...initialComplaintState({ facts: all, filedBy: 'compliance:c1', filedAt, policy: defaultPolicy() }),
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
    expect(waitingFor(aComplaint())).toBe(`a first response by broker b-1 or compliance (due ${firstResponseDueAt})`);
    expect(waitingFor(aComplaint({ brokerId: null }))).toBe(
      `a first response by compliance (due ${firstResponseDueAt})`,
    );
  });

  test('an answered complaint waits for a resolution; an escalated one for its group', () => {
    expect(waitingFor(answered())).toBe(`a resolution and the customer's satisfaction result (due ${resolutionDueAt})`);
    const escalated = answered({ state: 'escalated', escalatedTo: { teams: ['risk', 'legal'], at: filedAt } });
    expect(waitingFor(escalated)).toBe(`the cross-team group (risk, legal) to resolve it (due ${resolutionDueAt})`);
  });

  test('a closed complaint waits for nothing, for the end of its retention, or for the release of its hold', () => {
    const retentionDueAt = '2026-06-03T09:00:00.000Z';
    expect(waitingFor(closed())).toBe('nothing: closed');
    expect(waitingFor(closed({ retentionDueAt }))).toBe(
      `the end of retention on ${retentionDueAt}, then erasure of its description`,
    );
    const legalHold = { placedAt: '2026-04-01T00:00:00.000Z', by: 'compliance:c2', remainingMs: 1 };
    expect(waitingFor(closed({ retentionDueAt, legalHold }))).toMatch(
      /^the release of its legal hold \(placed 2026-04-01T00:00:00.000Z\)/,
    );
    expect(waitingFor(closed({ state: 'erased' }))).toBe('nothing: description erased');
  });
});

describe('the current details', () => {
  test('show the state, the priority rules that raised it, the case and the do-not-contact result', () => {
    const details = currentDetails(aComplaint({ priority: 'high', priorityRaisedBy: ['vulnerable_customer'] }));
    expect(details.split('\n')).toEqual([
      '**State:** awaiting_response',
      // High priority: answered within 2 h of filing.
      '**Waiting for:** a first response by broker b-1 or compliance (due 2026-03-02T11:00:00.000Z)',
      '**Priority:** high (raised by vulnerable_customer) · **Category:** rate_dispute · **Reopened:** 0',
      '**Case:** c-1 · **Channel:** ch-1 · **Broker:** b-1 · **Do-not-contact:** not_needed',
    ]);
  });

  test('name the clocks that ran out, the outcome, and a legal hold', () => {
    const legalHold = { placedAt: '2026-04-01T00:00:00.000Z', by: 'compliance:c2', remainingMs: null };
    const lines = currentDetails(closed({ lateFirstResponse: true, lateResolution: true, legalHold })).split('\n');
    expect(lines[0]).toBe(
      '**State:** closed (upheld, customer satisfied) · **Late:** first response late, resolution late',
    );
    expect(lines.at(-1)).toBe('**Legal hold:** since 2026-04-01T00:00:00.000Z, by compliance:c2');
  });

  test('say "none" for a complaint with no case, channel or broker', () => {
    const details = currentDetails(aComplaint({ caseId: null, channelId: null, brokerId: null }));
    expect(details).toContain('**Case:** none · **Channel:** none · **Broker:** none');
  });
});

describe('the search attributes', () => {
  test('carry the state, priority, channel, broker and the next due time', () => {
    expect(searchAttributes(aComplaint())).toEqual([
      { key: ComplaintStateKey, value: 'awaiting_response' },
      { key: ComplaintPriorityKey, value: 'normal' },
      { key: SlaDueAtKey, value: new Date(firstResponseDueAt) },
      { key: ChannelIdKey, value: 'ch-1' },
      { key: BrokerIdKey, value: 'b-1' },
    ]);
  });

  test('clear SlaDueAt once the complaint is closed', () => {
    expect(searchAttributes(closed()).find((a) => a.key === SlaDueAtKey)?.value).toBeNull();
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
