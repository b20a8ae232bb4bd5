import { defaultPolicy } from '../../src/platform/config/policy';
import {
  checkContactAllowed,
  isWithinQuietHours,
  localDayKey,
  type ContactCheckInput,
} from '../../src/modules/lead/rules/contact';
import { policyWith } from './factories';

const policy = defaultPolicy();
// 10:00 in Shanghai.
const MID_MORNING = new Date('2026-03-10T02:00:00Z');

const aServiceCall = (overrides: Partial<ContactCheckInput> = {}): ContactCheckInput => ({
  at: MID_MORNING,
  purpose: 'service',
  attemptsToday: 0,
  doNotContact: false,
  marketingConsent: false,
  vulnerable: false,
  ...overrides,
});
const aMarketingCall = (overrides: Partial<ContactCheckInput> = {}): ContactCheckInput =>
  aServiceCall({ purpose: 'marketing', marketingConsent: true, ...overrides });
const codeOf = (input: ContactCheckInput, p = policy): string | null => {
  const decision = checkContactAllowed(input, p);
  return decision.allowed ? null : decision.code;
};

describe('the local day', () => {
  it('is read in the given zone: 16:30 UTC is already the next day in Shanghai', () => {
    const at = new Date('2026-03-10T16:30:00Z');
    expect(localDayKey(at, 'Asia/Shanghai')).toBe('2026-03-11');
    expect(localDayKey(at, 'UTC')).toBe('2026-03-10');
  });

  it('turns at local midnight', () => {
    expect(localDayKey(new Date('2026-03-10T15:59:59Z'), 'Asia/Shanghai')).toBe('2026-03-10');
    expect(localDayKey(new Date('2026-03-10T16:00:00Z'), 'Asia/Shanghai')).toBe('2026-03-11');
  });
});

describe('quiet hours 21:00-08:00 in Asia/Shanghai', () => {
  it.each([
    ['20:59', '2026-03-10T12:59:00Z', null],
    ['21:00', '2026-03-10T13:00:00Z', 'quiet_hours'],
    ['midnight', '2026-03-10T16:00:00Z', 'quiet_hours'],
    ['07:59', '2026-03-10T23:59:00Z', 'quiet_hours'],
    ['08:00', '2026-03-11T00:00:00Z', null],
  ])('a call at %s Shanghai time: %s', (_local, utc, expected) => {
    expect(codeOf(aServiceCall({ at: new Date(utc) }))).toBe(expected);
  });

  it('a window that does not wrap midnight is read as [start, end)', () => {
    const lunch = policyWith({ contact: { quietHoursStart: '12:00', quietHoursEnd: '13:30' } });
    expect(isWithinQuietHours(new Date('2026-03-10T03:59:00Z'), lunch)).toBe(false); // 11:59
    expect(isWithinQuietHours(new Date('2026-03-10T04:00:00Z'), lunch)).toBe(true); // 12:00
    expect(isWithinQuietHours(new Date('2026-03-10T05:29:00Z'), lunch)).toBe(true); // 13:29
    expect(isWithinQuietHours(new Date('2026-03-10T05:30:00Z'), lunch)).toBe(false); // 13:30
    expect(isWithinQuietHours(new Date('2026-03-10T13:00:00Z'), lunch)).toBe(false); // 21:00
  });

  it('the same start and end means no quiet hours', () => {
    const never = policyWith({ contact: { quietHoursStart: '00:00', quietHoursEnd: '00:00' } });
    expect(codeOf(aServiceCall({ at: new Date('2026-03-10T18:00:00Z') }), never)).toBeNull();
  });

  it('quiet hours follow the policy time zone', () => {
    // 13:00 UTC is 21:00 in Shanghai but 13:00 in London (still on GMT on 10 March).
    const london = policyWith({ contact: { timeZone: 'Europe/London' } });
    const at = new Date('2026-03-10T13:00:00Z');
    expect(codeOf(aServiceCall({ at }))).toBe('quiet_hours');
    expect(codeOf(aServiceCall({ at }), london)).toBeNull();
  });
});

describe('daily cap of 3 attempts', () => {
  it('a third attempt is allowed after two', () => {
    expect(codeOf(aServiceCall({ attemptsToday: 2 }))).toBeNull();
  });

  it('a fourth attempt is refused after three', () => {
    const decision = checkContactAllowed(aServiceCall({ attemptsToday: 3 }), policy);
    expect(decision).toEqual({ allowed: false, code: 'daily_cap_reached', reason: expect.any(String) });
  });

  it('raising the cap in the policy allows the fourth attempt', () => {
    expect(codeOf(aServiceCall({ attemptsToday: 3 }), policyWith({ contact: { maxAttemptsPerDay: 4 } }))).toBeNull();
  });
});

describe('consent, do-not-contact and vulnerable customers', () => {
  it('a customer who asked not to be contacted is not contacted, even for service', () => {
    expect(codeOf(aServiceCall({ doNotContact: true }))).toBe('do_not_contact');
  });

  it('a service call needs no marketing consent', () => {
    expect(checkContactAllowed(aServiceCall({ marketingConsent: false }), policy)).toEqual({ allowed: true });
  });

  it('a marketing call without marketing consent is refused', () => {
    expect(codeOf(aMarketingCall({ marketingConsent: false }))).toBe('marketing_consent_missing');
  });

  it('a marketing call with consent is allowed', () => {
    expect(codeOf(aMarketingCall())).toBeNull();
  });

  it('a vulnerable customer is never called for marketing, even with consent', () => {
    expect(codeOf(aMarketingCall({ vulnerable: true }))).toBe('vulnerable_no_marketing');
  });

  it('a vulnerable customer may still be called for service', () => {
    expect(codeOf(aServiceCall({ vulnerable: true }))).toBeNull();
  });
});

describe('order of the checks', () => {
  const night = new Date('2026-03-10T14:00:00Z'); // 22:00 in Shanghai

  it('do-not-contact comes before everything else', () => {
    expect(
      codeOf(
        aMarketingCall({ doNotContact: true, marketingConsent: false, vulnerable: true, at: night, attemptsToday: 9 }),
      ),
    ).toBe('do_not_contact');
  });

  it('missing consent comes before vulnerability', () => {
    expect(codeOf(aMarketingCall({ marketingConsent: false, vulnerable: true, at: night }))).toBe(
      'marketing_consent_missing',
    );
  });

  it('vulnerability comes before quiet hours', () => {
    expect(codeOf(aMarketingCall({ vulnerable: true, at: night, attemptsToday: 9 }))).toBe('vulnerable_no_marketing');
  });

  it('quiet hours come before the daily cap', () => {
    expect(codeOf(aServiceCall({ at: night, attemptsToday: 9 }))).toBe('quiet_hours');
  });
});
