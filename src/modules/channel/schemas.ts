import { z } from 'zod';
import { CHANNEL_GRADES } from '../../platform/domain/types';

const isoDateTime = z.iso.datetime({ offset: true }).transform((v) => new Date(v));
const DAY_MS = 86_400_000;

export const channelIdParams = z.object({ id: z.string().min(1).max(64) });

/** Days from `from` to `to`; NaN while either failed to parse (object refinements still run then). */
const spanDays = (q: { from: unknown; to: unknown }): number =>
  q.from instanceof Date && q.to instanceof Date ? (q.to.getTime() - q.from.getTime()) / DAY_MS : Number.NaN;
/** Passes when the span is unknown: the field's own error already says what is wrong. */
const spanAtMost = (days: number) => (q: { from: unknown; to: unknown }) => !(spanDays(q) > days);

/** A period of at most about three years: long enough for any trend, short enough to stay cheap. */
const periodQuery = z
  .strictObject({ from: isoDateTime, to: isoDateTime })
  .refine((q) => !(spanDays(q) <= 0), { message: 'from must be before to', path: ['to'] })
  .refine(spanAtMost(1100), { message: 'the period may span at most 1,100 days', path: ['to'] });

export const reportPeriodQuerySchema = periodQuery;

export const channelFiguresQuerySchema = z
  .strictObject({ from: isoDateTime, to: isoDateTime, period: z.enum(['day', 'week', 'month']).default('week') })
  .refine((q) => !(spanDays(q) <= 0), { message: 'from must be before to', path: ['to'] })
  .refine(spanAtMost(1100), { message: 'the period may span at most 1,100 days', path: ['to'] })
  .refine((q) => q.period !== 'day' || spanAtMost(400)(q), {
    message: 'daily figures cover at most 400 days',
    path: ['period'],
  });

export const gradingsQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });

export const channelOverrideSchema = z
  .strictObject({
    grade: z.enum(CHANNEL_GRADES).optional(),
    suspended: z.boolean().optional(),
    reason: z.string().trim().min(5).max(500),
    until: isoDateTime.optional().describe('the override ends here; without it, it lasts until cleared'),
  })
  .refine((o) => o.grade !== undefined || o.suspended !== undefined, { message: 'give a grade, a suspension, or both' })
  .refine((o) => !(o.until instanceof Date) || o.until.getTime() > Date.now(), {
    message: 'until must be in the future',
    path: ['until'],
  });

export const clearOverrideSchema = z.strictObject({ reason: z.string().trim().min(5).max(500) });

export const loanPerformanceSchema = z.strictObject({
  lenderId: z.string().min(1).max(64),
  status: z.enum(['performing', 'overdue', 'bad', 'repaid']),
  asOf: z.iso.date().describe('the date the lender’s report is as of'),
});

export const channelReviewRequestSchema = z.strictObject({
  channelIds: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(500)
    .optional()
    .describe('review only these; every channel when left out'),
});
