import { defaultPolicy } from '../../src/platform/config/policy';
import { isRetentionDue, retentionDueAt } from '../../src/modules/lead/rules/retention';
import { policyWith } from './factories';

const closedAt = new Date('2026-01-15T10:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

describe('retention after close', () => {
  it('a case that never converted is kept 90 days', () => {
    expect(retentionDueAt({ closedAt, converted: false }, defaultPolicy())).toEqual(new Date('2026-04-15T10:00:00Z'));
  });

  it('a converted case is kept 5 years of 365 days', () => {
    const due = retentionDueAt({ closedAt, converted: true }, defaultPolicy());
    expect(due.getTime() - closedAt.getTime()).toBe(5 * 365 * DAY);
  });

  it('the policy sets the periods', () => {
    const shorter = policyWith({ retention: { unconvertedDays: 30, convertedYears: 3 } });
    expect(retentionDueAt({ closedAt, converted: false }, shorter)).toEqual(new Date('2026-02-14T10:00:00Z'));
    expect(retentionDueAt({ closedAt, converted: true }, shorter).getTime() - closedAt.getTime()).toBe(3 * 365 * DAY);
  });

  it('is due from the due instant on, not a millisecond before', () => {
    const due = retentionDueAt({ closedAt, converted: false }, defaultPolicy());
    expect(isRetentionDue(due, new Date(due.getTime() - 1))).toBe(false);
    expect(isRetentionDue(due, due)).toBe(true);
    expect(isRetentionDue(due, new Date(due.getTime() + DAY))).toBe(true);
  });

  it('does not change the closing date it was given', () => {
    const before = closedAt.getTime();
    retentionDueAt({ closedAt, converted: true }, defaultPolicy());
    expect(closedAt.getTime()).toBe(before);
  });
});
