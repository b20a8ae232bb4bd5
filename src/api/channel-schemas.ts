import { z } from 'zod';
import { CHANNEL_GRADES } from '../domain/types';

const isoDateTime = z.iso.datetime({ offset: true }).transform((v) => new Date(v));
const DAY_MS = 86_400_000;

export const channelIdParams = z.object({ id: z.string().min(1).max(64) });

/** A period of at most about three years: long enough for any trend, short enough to stay cheap. */
const periodQuery = z
  .strictObject({ from: isoDateTime, to: isoDateTime })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['to'] })
  .refine((q) => q.to.getTime() - q.from.getTime() <= 1100 * DAY_MS, { message: 'the period may span at most 1,100 days', path: ['to'] });

export const reportPeriodQuerySchema = periodQuery;

export const channelFiguresQuerySchema = z
  .strictObject({ from: isoDateTime, to: isoDateTime, period: z.enum(['day', 'week', 'month']).default('week') })
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['to'] })
  .refine((q) => q.to.getTime() - q.from.getTime() <= 1100 * DAY_MS, { message: 'the period may span at most 1,100 days', path: ['to'] })
  .refine((q) => q.period !== 'day' || q.to.getTime() - q.from.getTime() <= 400 * DAY_MS, { message: 'daily figures cover at most 400 days', path: ['period'] });

export const gradingsQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });

export const channelOverrideSchema = z
  .strictObject({
    grade: z.enum(CHANNEL_GRADES).optional(),
    suspended: z.boolean().optional(),
    reason: z.string().trim().min(5).max(500),
    until: isoDateTime.optional().describe('the override ends here; without it, it lasts until cleared'),
  })
  .refine((o) => o.grade !== undefined || o.suspended !== undefined, { message: 'give a grade, a suspension, or both' })
  .refine((o) => o.until === undefined || o.until.getTime() > Date.now(), { message: 'until must be in the future', path: ['until'] });

export const clearOverrideSchema = z.strictObject({ reason: z.string().trim().min(5).max(500) });

export const loanPerformanceSchema = z.strictObject({
  lenderId: z.string().min(1).max(64),
  status: z.enum(['performing', 'overdue', 'bad', 'repaid']),
  asOf: z.iso.date().describe('the date the lender’s report is as of'),
});

export const channelReviewRequestSchema = z.strictObject({
  channelIds: z.array(z.string().min(1).max(64)).min(1).max(500).optional().describe('review only these; every channel when left out'),
});
