import { defaultPolicy, parsePolicy } from '../../src/platform/config/policy';
import { channelFigures, gradeChannel, standingAfterReview, type ChannelCounts } from '../../src/modules/channel/rules';

const policy = defaultPolicy();

/** 100 leads, all consented and pre-screened; approvals, bad loans and fraud flags as given. */
const counts = (o: Partial<ChannelCounts> = {}): ChannelCounts => ({
  leads: 100,
  consented: 100,
  prescreened: 100,
  tierA: 80,
  tierB: 15,
  tierC: 5,
  lenderDecided: 50,
  approved: 30,
  badLoans: 0,
  fraudFlagged: 0,
  ...o,
});
const grade = (o: Partial<ChannelCounts>, current: 'premium' | 'general' | 'risk' = 'general') =>
  gradeChannel(channelFigures(counts(o), 500), current, policy);

describe('channel figures', () => {
  test('rates are percentages of their own base, rounded to one decimal', () => {
    const f = channelFigures(
      counts({
        leads: 200,
        consented: 150,
        lenderDecided: 40,
        approved: 30,
        badLoans: 1,
        prescreened: 150,
        fraudFlagged: 2,
      }),
      300,
    );
    expect(f.consentRatePct).toBe(75);
    expect(f.approvalRatePct).toBe(75); // approved / lender-decided
    expect(f.nplPct).toBe(3.3); // bad / approved
    expect(f.fraudRatePct).toBe(1.3); // flagged / pre-screened
    expect(f.costPerConversionCny).toBe(2000); // 300 × 200 / 30
  });

  test('a rate with nothing under it is null, not zero', () => {
    const f = channelFigures(counts({ leads: 0, consented: 0, prescreened: 0, lenderDecided: 0, approved: 0 }), 300);
    expect([f.consentRatePct, f.approvalRatePct, f.nplPct, f.fraudRatePct, f.costPerConversionCny]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});

describe('channel grade', () => {
  test('premium needs approval at or above 60 % and NPL at or below 2 %', () => {
    expect(grade({ lenderDecided: 50, approved: 30, badLoans: 0 }).grade).toBe('premium'); // exactly 60 %
    expect(grade({ lenderDecided: 50, approved: 29 }).grade).toBe('general'); // 58 %
    expect(grade({ lenderDecided: 100, approved: 100, badLoans: 2 }).grade).toBe('premium'); // NPL exactly 2 %
    expect(grade({ lenderDecided: 100, approved: 100, badLoans: 3 }).grade).toBe('general'); // NPL 3 %
  });

  test('risk when NPL is above 5 % or fraud above 3 %, whatever the approval rate', () => {
    expect(grade({ lenderDecided: 100, approved: 100, badLoans: 5 }).grade).toBe('general'); // NPL exactly 5 %
    const npl = grade({ lenderDecided: 100, approved: 100, badLoans: 6 });
    expect(npl).toMatchObject({ grade: 'risk', suspend: false });
    expect(npl.reasons.join()).toContain('npl_above_risk_line');
    expect(grade({ fraudFlagged: 3 }).grade).not.toBe('risk'); // exactly 3 %
    expect(grade({ fraudFlagged: 4 })).toMatchObject({ grade: 'risk', suspend: false });
  });

  test('suspension when NPL or fraud is above 10 %', () => {
    expect(grade({ lenderDecided: 100, approved: 100, badLoans: 10 }).suspend).toBe(false);
    const npl = grade({ lenderDecided: 100, approved: 100, badLoans: 11 });
    expect(npl).toMatchObject({ grade: 'risk', suspend: true });
    expect(npl.reasons.join()).toContain('npl_above_suspension_line');
    const fraud = grade({ fraudFlagged: 11 });
    expect(fraud).toMatchObject({ grade: 'risk', suspend: true });
    expect(fraud.reasons.join()).toContain('fraud_above_suspension_line');
  });

  test('no lender decision yet: the grade stays, unless fraud makes it a risk channel', () => {
    expect(grade({ lenderDecided: 0, approved: 0 }, 'premium')).toMatchObject({ grade: 'premium', judged: true });
    expect(grade({ lenderDecided: 0, approved: 0 }, 'general')).toMatchObject({ grade: 'general', judged: true });
    expect(grade({ lenderDecided: 0, approved: 0, fraudFlagged: 4 }, 'premium')).toMatchObject({ grade: 'risk' });
  });

  test('too few leads to judge: the current grade stays and nothing is suspended', () => {
    const d = grade({ leads: 19, fraudFlagged: 19, prescreened: 19 }, 'premium');
    expect(d).toMatchObject({ grade: 'premium', suspend: false, judged: false });
    expect(d.reasons[0]).toMatch(/^too_few_leads/);
  });

  test('the lines are policy', () => {
    const strict = parsePolicy({ channelGrades: { premiumMinApprovalPct: 80, riskMinFraudPct: 1 } });
    expect(gradeChannel(channelFigures(counts({ lenderDecided: 50, approved: 35 }), 0), 'general', strict).grade).toBe(
      'general',
    ); // 70 % < 80 %
    expect(gradeChannel(channelFigures(counts({ fraudFlagged: 2 }), 0), 'general', strict).grade).toBe('risk');
  });

  test('a policy whose suspension line sits below its risk line is refused', () => {
    expect(() => parsePolicy({ channelGrades: { suspendMinNplPct: 4 } })).toThrow(/suspendMinNplPct/);
  });
});

describe('what a review does to a channel', () => {
  const at = new Date('2026-11-22T02:00:00Z');
  const open = { grade: 'general' as const, suspended: false, suspendedBy: null, override: null };
  const risky = grade({ fraudFlagged: 20 }); // risk, suspend
  const fine = grade({ lenderDecided: 50, approved: 40 }); // premium
  const unjudged = grade({ leads: 5, prescreened: 5, consented: 5 });

  test('without an override the review applies its grade and suspension', () => {
    expect(standingAfterReview(open, risky, at)).toEqual({
      grade: 'risk',
      suspended: true,
      suspendedBy: 'review',
      overrideExpired: false,
    });
  });

  test('a suspension the review made is lifted when the figures recover, but not on too few leads', () => {
    const suspended = { ...open, grade: 'risk' as const, suspended: true, suspendedBy: 'review' as const };
    expect(standingAfterReview(suspended, fine, at)).toMatchObject({
      grade: 'premium',
      suspended: false,
      suspendedBy: null,
    });
    expect(standingAfterReview(suspended, unjudged, at)).toMatchObject({ suspended: true, suspendedBy: 'review' });
  });

  test('a suspension an admin set stays whatever the figures say', () => {
    const byAdmin = { ...open, suspended: true, suspendedBy: 'admin' as const };
    expect(standingAfterReview(byAdmin, fine, at)).toMatchObject({
      grade: 'premium',
      suspended: true,
      suspendedBy: 'admin',
    });
  });

  test('a live override keeps what it fixed and lets the review decide the rest', () => {
    const keepOpen = { ...open, override: { grade: null, suspended: false, until: null } };
    expect(standingAfterReview(keepOpen, risky, at)).toMatchObject({
      grade: 'risk',
      suspended: false,
      overrideExpired: false,
    });
    const keepPremium = {
      ...open,
      grade: 'premium' as const,
      override: { grade: 'premium' as const, suspended: null, until: new Date('2026-12-01T00:00:00Z') },
    };
    expect(standingAfterReview(keepPremium, risky, at)).toMatchObject({
      grade: 'premium',
      suspended: true,
      suspendedBy: 'review',
    });
  });

  test('an override that has run out is cleared and its suspension can be lifted', () => {
    const expired = {
      ...open,
      suspended: true,
      suspendedBy: 'override' as const,
      override: { grade: 'risk' as const, suspended: true, until: new Date('2026-11-01T00:00:00Z') },
    };
    expect(standingAfterReview(expired, fine, at)).toEqual({
      grade: 'premium',
      suspended: false,
      suspendedBy: null,
      overrideExpired: true,
    });
  });
});
