import { parsePolicy } from '../../src/platform/config/policy';
import {
  afterSatisfaction,
  complaintDeadlines,
  decideComplaintPriority,
  defaultAboutContact,
  nextComplaintMark,
  requiresDoNotContact,
  resolutionDueFrom,
  type ComplaintClock,
} from '../../src/modules/complaint/rules';
import { policyWith } from './factories';

/** The first response on the clock (no deadline counts working time): these tests are not about the calendar. */
const onTheClock = parsePolicy({ businessHours: { deadlines: [] } });

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const filedAt = new Date('2026-03-02T09:00:00Z');
const plain = { vulnerableCustomer: false, openComplaintsOnCase: 0 };

describe('complaint priority', () => {
  it('keeps the requested priority when no rule applies', () => {
    expect(decideComplaintPriority({ category: 'rate_dispute', requested: 'low', ...plain })).toEqual({
      priority: 'low',
      raisedBy: [],
    });
    expect(decideComplaintPriority({ category: 'service_attitude', requested: 'normal', ...plain })).toEqual({
      priority: 'normal',
      raisedBy: [],
    });
  });

  it.each(['privacy', 'harassment'] as const)('a %s complaint is always high, whatever was asked for', (category) => {
    expect(decideComplaintPriority({ category, requested: 'low', ...plain })).toEqual({
      priority: 'high',
      raisedBy: ['category_always_high'],
    });
  });

  it('a vulnerable customer raises it one level', () => {
    expect(
      decideComplaintPriority({ category: 'disbursement_delay', requested: 'low', ...plain, vulnerableCustomer: true }),
    ).toEqual({
      priority: 'normal',
      raisedBy: ['vulnerable_customer'],
    });
  });

  it('another open complaint about the same case raises it one level, on top of a vulnerable customer', () => {
    expect(
      decideComplaintPriority({
        category: 'other',
        requested: 'low',
        vulnerableCustomer: true,
        openComplaintsOnCase: 1,
      }),
    ).toEqual({
      priority: 'high',
      raisedBy: ['vulnerable_customer', 'repeat_complaint'],
    });
  });

  it('never lowers a priority, and a rule that would not raise it is not listed', () => {
    expect(
      decideComplaintPriority({
        category: 'harassment',
        requested: 'high',
        vulnerableCustomer: true,
        openComplaintsOnCase: 3,
      }),
    ).toEqual({ priority: 'high', raisedBy: [] });
  });
});

describe('do-not-contact', () => {
  it('a harassment complaint about contact on a case requires it', () => {
    expect(requiresDoNotContact({ category: 'harassment', aboutContact: true, hasCase: true })).toBe(true);
  });

  it('not when the harassment was not about contact, when there is no case, or for other categories', () => {
    expect(requiresDoNotContact({ category: 'harassment', aboutContact: false, hasCase: true })).toBe(false);
    expect(requiresDoNotContact({ category: 'harassment', aboutContact: true, hasCase: false })).toBe(false);
    expect(requiresDoNotContact({ category: 'privacy', aboutContact: true, hasCase: true })).toBe(false);
  });

  it('harassment is about contact unless the filer says otherwise', () => {
    expect(defaultAboutContact('harassment')).toBe(true);
    expect(defaultAboutContact('rate_dispute')).toBe(false);
  });
});

describe('complaint deadlines', () => {
  it.each([
    ['high', 2],
    ['normal', 24],
    ['low', 72],
  ] as const)(
    'a %s-priority complaint is answered within %i h and resolved within 15 days of filing',
    (priority, hours) => {
      const due = complaintDeadlines(priority, filedAt, onTheClock);
      expect(due.firstResponseDueAt.getTime() - filedAt.getTime()).toBe(hours * HOUR);
      expect(due.resolutionDueAt.getTime() - filedAt.getTime()).toBe(15 * DAY);
    },
  );

  it('the policy sets them', () => {
    const policy = policyWith({ complaints: { firstResponseHours: { high: 1 }, resolutionDays: 10 } });
    const due = complaintDeadlines('high', filedAt, policy);
    expect(due.firstResponseDueAt).toEqual(new Date('2026-03-02T10:00:00Z'));
    expect(due.resolutionDueAt).toEqual(new Date('2026-03-12T09:00:00Z'));
    expect(resolutionDueFrom(new Date('2026-03-20T00:00:00Z'), policy)).toEqual(new Date('2026-03-30T00:00:00Z'));
  });
});

describe('the next timer mark', () => {
  const clock = (startMs: number, spanMs: number, o: Partial<ComplaintClock> = {}): ComplaintClock => ({
    startedAt: new Date(startMs).toISOString(),
    dueAt: new Date(startMs + spanMs).toISOString(),
    reminded: false,
    escalated: false,
    ...o,
  });
  const t0 = filedAt.getTime();

  it('the handler is reminded at half of the first-response time, before anything of the resolution clock', () => {
    expect(nextComplaintMark({ firstResponse: clock(t0, 2 * HOUR), resolution: clock(t0, 15 * DAY) }, 0.5)).toEqual({
      kind: 'first_response_reminder',
      at: t0 + HOUR,
    });
  });

  it('after the reminder, compliance is told when the first response is due', () => {
    expect(
      nextComplaintMark(
        { firstResponse: clock(t0, 2 * HOUR, { reminded: true }), resolution: clock(t0, 15 * DAY) },
        0.5,
      ),
    ).toEqual({ kind: 'first_response_late', at: t0 + 2 * HOUR });
  });

  it('once answered, only the resolution clock counts: reminder at half of it, then late at its end', () => {
    expect(nextComplaintMark({ firstResponse: null, resolution: clock(t0, 15 * DAY) }, 0.5)).toEqual({
      kind: 'resolution_reminder',
      at: t0 + 7.5 * DAY,
    });
    expect(
      nextComplaintMark({ firstResponse: null, resolution: clock(t0, 15 * DAY, { reminded: true }) }, 0.5),
    ).toEqual({ kind: 'resolution_late', at: t0 + 15 * DAY });
  });

  it('a late first response does not hold back the resolution reminder', () => {
    const fr = clock(t0, 72 * HOUR, { reminded: true, escalated: true });
    expect(nextComplaintMark({ firstResponse: fr, resolution: clock(t0, 15 * DAY) }, 0.5)?.kind).toBe(
      'resolution_reminder',
    );
  });

  it('nothing is left once both clocks have reminded and escalated, or stopped', () => {
    const done = { reminded: true, escalated: true };
    expect(
      nextComplaintMark({ firstResponse: clock(t0, HOUR, done), resolution: clock(t0, DAY, done) }, 0.5),
    ).toBeNull();
    expect(nextComplaintMark({ firstResponse: null, resolution: null }, 0.5)).toBeNull();
  });

  it('the reminder fraction is the policy’s', () => {
    expect(nextComplaintMark({ firstResponse: clock(t0, 4 * HOUR), resolution: null }, 0.25)).toEqual({
      kind: 'first_response_reminder',
      at: t0 + HOUR,
    });
  });
});

describe('satisfaction', () => {
  it('a satisfied or neutral customer closes the complaint', () => {
    expect(afterSatisfaction('satisfied', 0)).toBe('close');
    expect(afterSatisfaction('neutral', 0)).toBe('close');
  });

  it('a dissatisfied customer reopens it once; the second time it closes', () => {
    expect(afterSatisfaction('dissatisfied', 0)).toBe('reopen');
    expect(afterSatisfaction('dissatisfied', 1)).toBe('close');
  });
});
