import { parsePolicy } from '../../src/platform/config/policy';
import type { ComplaintCaseState, ComplaintFacts } from '../../src/modules/complaint/messages';
import {
  isPastDue,
  leftToAction,
  msUntil,
  nextMark,
  reopenedResolution,
  retentionDueAfterClose,
  retentionDueAfterRelease,
  retentionLeftAtHold,
} from '../../src/modules/complaint/workflow/deadlines';
import { initialComplaintState } from '../../src/modules/complaint/workflow/state';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The first response on the clock: these tests are about the marks, not the working calendar. */
const policy = parsePolicy({ businessHours: { deadlines: [] } });
const filedAt = '2026-03-02T09:00:00.000Z';
const filed = Date.parse(filedAt);

function aComplaint(facts: Partial<ComplaintFacts> = {}, state: Partial<ComplaintCaseState> = {}): ComplaintCaseState {
  const all: ComplaintFacts = {
    complaintId: 'k-1',
    caseId: null,
    channelId: null,
    brokerId: null,
    category: 'other',
    priority: 'normal',
    priorityRaisedBy: [],
    doNotContact: false,
    keyScope: 'complaint',
    ...facts,
  };
  return { ...initialComplaintState({ facts: all, filedBy: 'compliance:c1', filedAt, policy }), ...state };
}

describe('which mark is next', () => {
  test.each([
    ['high', 1],
    ['normal', 12],
    ['low', 36],
  ] as const)(
    'a new %s-priority complaint first reminds its handler at %i h, half its first-response time',
    (priority, hours) => {
      expect(nextMark(aComplaint({ priority }), policy)).toEqual({
        kind: 'first_response_reminder',
        at: filed + hours * HOUR,
      });
    },
  );

  test('once reminded, the first-response clock is next due at its end: compliance is told it is late', () => {
    const complaint = aComplaint({ priority: 'high' });
    complaint.firstResponseClock!.reminded = true;
    expect(nextMark(complaint, policy)).toEqual({ kind: 'first_response_late', at: filed + 2 * HOUR });
  });

  test('after the first response, the resolution clock reminds compliance at 7.5 days', () => {
    const complaint = aComplaint({}, { firstResponseClock: null });
    expect(nextMark(complaint, policy)).toEqual({ kind: 'resolution_reminder', at: filed + 7.5 * DAY });
  });

  test('a complaint with both clocks done or stopped has no mark left', () => {
    const complaint = aComplaint({}, { firstResponseClock: null, resolutionClock: null });
    expect(nextMark(complaint, policy)).toBeNull();
  });

  test('a timer to a mark already past is 1 ms, so it still fires; otherwise it runs to the mark', () => {
    expect(msUntil(filed, filed + HOUR)).toBe(1);
    expect(msUntil(filed, filed)).toBe(1);
    expect(msUntil(filed + HOUR, filed)).toBe(HOUR);
  });
});

describe('a mark that comes due while an action is being recorded', () => {
  const markAt = filed + 2 * HOUR;

  test('is left to an action that began before it (or at it): its write decides', () => {
    expect(leftToAction({ acting: true, actingSince: markAt - 2 * MINUTE }, markAt)).toBe(true);
    expect(leftToAction({ acting: true, actingSince: markAt }, markAt)).toBe(true);
  });

  test('fires when the action began after it, or nothing is being recorded', () => {
    expect(leftToAction({ acting: true, actingSince: markAt + 1 }, markAt)).toBe(false);
    expect(leftToAction({ acting: false, actingSince: markAt - 2 * MINUTE }, markAt)).toBe(false);
  });

  test('an answer at the due time is on time; a millisecond later it is late', () => {
    const dueAt = new Date(markAt).toISOString();
    expect(isPastDue(new Date(markAt), dueAt)).toBe(false);
    expect(isPastDue(new Date(markAt + 1), dueAt)).toBe(true);
  });
});

describe('reopening', () => {
  test('a reopened complaint gets a fresh 15-day resolution clock from the reopening, nothing yet reminded', () => {
    const at = new Date(filed + 10 * DAY);
    const { resolutionDueAt, resolutionClock } = reopenedResolution(at, policy);
    expect(Date.parse(resolutionDueAt) - at.getTime()).toBe(15 * DAY);
    expect(resolutionClock).toEqual({
      startedAt: at.toISOString(),
      dueAt: resolutionDueAt,
      reminded: false,
      escalated: false,
    });
  });
});

describe('retention around a legal hold', () => {
  const closedAt = new Date(filed + 5 * DAY);
  const retentionDueAt = retentionDueAfterClose(closedAt, policy);
  const closed = () => aComplaint({}, { state: 'closed', closedAt: closedAt.toISOString(), retentionDueAt });

  test('a complaint with its own key keeps its description 90 days after the close', () => {
    expect(Date.parse(retentionDueAt) - closedAt.getTime()).toBe(90 * DAY);
  });

  test('a hold 30 days into retention keeps the 60 days left; one placed past the due time keeps nothing', () => {
    expect(retentionLeftAtHold(closed(), new Date(closedAt.getTime() + 30 * DAY))).toBe(60 * DAY);
    expect(retentionLeftAtHold(closed(), new Date(closedAt.getTime() + 91 * DAY))).toBe(0);
  });

  test('a hold while the complaint is open keeps no figure: retention has not started', () => {
    expect(retentionLeftAtHold(aComplaint(), new Date(filed + DAY))).toBeNull();
  });

  test('the release lets what the hold kept run from the release', () => {
    const releasedAt = new Date(closedAt.getTime() + 300 * DAY);
    const held = { ...closed(), legalHold: { placedAt: filedAt, by: 'compliance:c2', remainingMs: 60 * DAY } };
    expect(retentionDueAfterRelease(held, releasedAt)).toBe(new Date(releasedAt.getTime() + 60 * DAY).toISOString());
  });

  test('releasing a hold that kept no figure leaves the due time as it was', () => {
    const held = { ...aComplaint(), legalHold: { placedAt: filedAt, by: 'compliance:c2', remainingMs: null } };
    expect(retentionDueAfterRelease(held, new Date(filed + DAY))).toBeNull();
  });
});
