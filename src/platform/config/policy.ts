import { z } from 'zod';

/**
 * Business policy: every number the rules use, in one validated object.
 * Defaults follow shared/domain.md; an operator overrides any of them with a JSON file named by
 * POLICY_FILE (deep-merged over these defaults and validated again). Unknown keys are errors, so a
 * misspelt override cannot be silently ignored.
 *
 * This module is pure (no I/O) so that workflow code can import the types and the schema.
 */
const hours = z.number().positive();
const pct = z.number().min(0).max(100);
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
const isoDate = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'expected YYYY-MM-DD');

/** The deadlines that may count working time (policy.businessHours.deadlines). */
export const WORKING_TIME_DEADLINES = ['first_contact', 'follow_up', 'review', 'complaint_first_response'] as const;
export type WorkingTimeDeadline = (typeof WORKING_TIME_DEADLINES)[number];

export const policySchema = z
  .strictObject({
    /** What people read (case summaries in the Web UI): its language, and the zone due times are shown in. */
    display: z.strictObject({
      locale: z.enum(['zh-CN', 'en']).default('zh-CN'),
      timeZone: z.string().default('Asia/Shanghai'),
    }),
    consent: z.strictObject({
      /** A case that never gets credit_assessment consent is erased after this wait. */
      waitHours: hours.default(72),
      /** The notice version that intake and consent grants must name. */
      currentNoticeVersion: z.string().min(1).default('2026-01'),
    }),
    followUp: z.strictObject({
      firstContactMinutes: z.strictObject({ A: hours.default(30), B: hours.default(240) }),
      /** After each logged contact attempt, the next follow-up is due this many hours later. */
      nextFollowUpHours: hours.default(48),
      /** Fractions of a deadline at which the broker is reminded, the manager told, the case reassigned. */
      reminderAt: z.number().positive().default(0.5),
      escalateAt: z.number().positive().default(1),
      reassignAt: z.number().positive().default(2),
    }),
    review: z.strictObject({ manualReviewHours: hours.default(24) }),
    contact: z.strictObject({
      maxAttemptsPerDay: z.number().int().positive().default(3),
      quietHoursStart: clock.default('21:00'),
      quietHoursEnd: clock.default('08:00'),
      /** Quiet hours and "a day" are read in this time zone (the customer's, for a mainland firm). */
      timeZone: z.string().default('Asia/Shanghai'),
    }),
    /**
     * Working hours, for the deadlines named in `deadlines`, which then count working time only
     * (a 4 h first contact given at 17:00 on a Friday is due at 12:00 on Monday). By default the
     * first contact, the manual review and a complaint's first response do; a deadline left out of
     * the list runs on the clock, nights, weekends and holidays included.
     *
     * `calendar: 'cn_official'` adds the State Council's holidays and make-up working days (调休),
     * from the `chinese-days` package, when the configuration is loaded (src/platform/config/
     * official-calendar.ts); `holidays` and `workdays` are the firm's own, and win over the
     * official days. Workflows get the merged lists with the policy: they never read the package.
     */
    businessHours: z.strictObject({
      deadlines: z
        .array(z.enum(WORKING_TIME_DEADLINES))
        .default(['first_contact', 'review', 'complaint_first_response']),
      calendar: z.enum(['cn_official', 'none']).default('cn_official'),
      timeZone: z.string().default('Asia/Shanghai'),
      start: clock.default('09:00'),
      end: clock.default('18:00'),
      weekdays: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
      holidays: z.array(isoDate).default([]),
      workdays: z.array(isoDate).default([]),
    }),
    complaints: z.strictObject({
      firstResponseHours: z.strictObject({ high: hours.default(2), normal: hours.default(24), low: hours.default(72) }),
      resolutionDays: z.number().positive().default(15),
    }),
    pricing: z.strictObject({
      /**
       * The all-in financing cost cap (综合融资成本: the IRR of the borrower's cash flows, every fee
       * included, ×12), by lender type, from a date on (Beijing time). The entry whose `from` is the
       * latest on or before the matching time applies; 24 % for every type by default
       * (金规〔2025〕9号; 小额贷款公司综合融资成本管理工作指引).
       */
      allInCapSchedule: z
        .array(
          z.strictObject({
            from: isoDate,
            caps: z.strictObject({ bank: pct, consumer_finance: pct, microlender: pct, trust: pct, other: pct }),
          }),
        )
        .min(1)
        .default([
          { from: '2025-10-01', caps: { bank: 24, consumer_finance: 24, microlender: 24, trust: 24, other: 24 } },
        ]),
    }),
    age: z.strictObject({
      minimum: z.number().int().positive().default(18),
      studentVulnerableUnder: z.number().int().positive().default(22),
      elderlyFrom: z.number().int().positive().default(60),
    }),
    dti: z.strictObject({
      incomeShockPct: pct.default(20),
      rateShockPp: z.number().min(0).default(3),
      tierAMaxPct: pct.default(40),
      tierBMaxPct: pct.default(55),
      /** Rate assumed for the new loan's instalment before the shock, when no product is known yet. */
      assumedAprPct: pct.default(18),
    }),
    fraud: z.strictObject({
      /** The same device on more than this many leads within 24 h is a fraud signal. */
      deviceLeadsPer24h: z.number().int().positive().default(3),
      /** Applications to more than this many lenders (多头借贷) is a fraud signal. */
      multiLenderApplications: z.number().int().positive().default(3),
      /**
       * The days of lender applications the multi-lender rule counts. Older applications serve no
       * rule, so the daily retention sweep deletes them.
       */
      multiLenderWindowDays: z.number().int().positive().max(3650).default(90),
    }),
    postLoan: z.strictObject({
      /**
       * Days after a lender's approval at which the broker calls the customer back (贷后回访): did
       * the loan arrive on the terms promised, was any fee charged beyond the contract. Empty: none.
       */
      checkInDays: z.array(z.number().int().positive().max(3650)).max(12).default([7, 30]),
      /** A check-in nobody reached after this many calls is closed as unreached. */
      maxAttempts: z.number().int().positive().max(20).default(3),
      /** A check-in not planned within this many days of its due date is not planned at all (too late to help). */
      planWithinDays: z.number().int().positive().max(365).default(14),
    }),
    retention: z.strictObject({
      unconvertedDays: z.number().positive().default(90),
      convertedYears: z.number().positive().default(5),
    }),
    channelGrades: z.strictObject({
      premiumMinApprovalPct: pct.default(60),
      premiumMaxNplPct: pct.default(2),
      riskMinNplPct: pct.default(5),
      riskMinFraudPct: pct.default(3),
      /** Beyond these the review suspends the channel: its new leads are refused until the figures recover or a manager decides. */
      suspendMinNplPct: pct.default(10),
      suspendMinFraudPct: pct.default(10),
      /** A channel with fewer leads than this in the window keeps its grade: too few to judge. */
      minLeadsToGrade: z.number().int().positive().default(20),
      /** The review judges the cases a channel brought in this many days before the review. */
      reviewWindowDays: z.number().int().positive().default(90),
    }),
    maxAmountByGrade: z.strictObject({
      premium: z.number().int().positive().default(300_000),
      general: z.number().int().positive().default(200_000),
      risk: z.number().int().positive().default(50_000),
    }),
  })
  .superRefine((p, ctx) => {
    if (p.dti.tierAMaxPct > p.dti.tierBMaxPct) {
      ctx.addIssue({ code: 'custom', path: ['dti', 'tierAMaxPct'], message: 'must not exceed dti.tierBMaxPct' });
    }
    const g = p.channelGrades;
    if (!(
      g.premiumMaxNplPct <= g.riskMinNplPct &&
      g.riskMinNplPct <= g.suspendMinNplPct &&
      g.riskMinFraudPct <= g.suspendMinFraudPct
    )) {
      ctx.addIssue({
        code: 'custom',
        path: ['channelGrades'],
        message:
          'premiumMaxNplPct <= riskMinNplPct <= suspendMinNplPct and riskMinFraudPct <= suspendMinFraudPct must hold',
      });
    }
    if (p.businessHours.end <= p.businessHours.start) {
      ctx.addIssue({
        code: 'custom',
        path: ['businessHours', 'end'],
        message: 'the working day must end after it starts',
      });
    } else if (minutesOf(p.businessHours.end) - minutesOf(p.businessHours.start) < 60) {
      // Thinner days would stretch a 48 h follow-up (and its 200 % mark) over years.
      ctx.addIssue({
        code: 'custom',
        path: ['businessHours', 'end'],
        message: 'a working day must last at least one hour',
      });
    }
    const both = p.businessHours.holidays.find((d) => p.businessHours.workdays.includes(d));
    if (both) {
      ctx.addIssue({
        code: 'custom',
        path: ['businessHours', 'workdays'],
        message: `${both} is listed both as a holiday and as a working day`,
      });
    }
    for (const path of [
      ['businessHours', 'timeZone'],
      ['display', 'timeZone'],
    ] as const) {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: p[path[0]][path[1]] });
      } catch {
        ctx.addIssue({ code: 'custom', path: [...path], message: 'not a known IANA time zone' });
      }
    }
    const days = p.postLoan.checkInDays;
    if (days.some((d, i) => i > 0 && d <= days[i - 1])) {
      ctx.addIssue({
        code: 'custom',
        path: ['postLoan', 'checkInDays'],
        message: 'days must rise strictly, e.g. [7, 30]',
      });
    }
    const schedule = p.pricing.allInCapSchedule;
    if (schedule.some((e, i) => i > 0 && e.from <= schedule[i - 1]!.from)) {
      ctx.addIssue({
        code: 'custom',
        path: ['pricing', 'allInCapSchedule'],
        message: 'entries must be in strictly rising `from` order',
      });
    }
    const f = p.followUp;
    if (!(f.reminderAt < f.escalateAt && f.escalateAt < f.reassignAt)) {
      ctx.addIssue({ code: 'custom', path: ['followUp'], message: 'reminderAt < escalateAt < reassignAt must hold' });
    }
  });

export type Policy = z.infer<typeof policySchema>;

/** The defaults of shared/domain.md, fully expanded. */
export function defaultPolicy(): Policy {
  return parsePolicy({});
}

/** Parses an override object (possibly partial at any depth) into a full policy. */
export function parsePolicy(overrides: unknown): Policy {
  const skeleton = {
    display: {},
    consent: {},
    followUp: { firstContactMinutes: {} },
    review: {},
    contact: {},
    businessHours: {},
    complaints: { firstResponseHours: {} },
    pricing: {},
    age: {},
    dti: {},
    fraud: {},
    postLoan: {},
    retention: {},
    channelGrades: {},
    maxAmountByGrade: {},
  };
  return policySchema.parse(deepMerge(skeleton, overrides ?? {}));
}

function deepMerge(base: Record<string, unknown>, over: unknown): Record<string, unknown> {
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = typeof b === 'object' && b !== null && !Array.isArray(b) ? deepMerge(b as Record<string, unknown>, v) : v;
  }
  return out;
}
