import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  proxyLocalActivities,
  TimeoutFailure,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { LeadActivities } from '../activities/contract';
import { NOT_THE_CASE_RUN } from '../../../platform/workflow/run-chain';
import { verifiedActivities } from '../../../platform/workflow/verified-activities';
import { activitySummary, type Locale } from '../rules/case-text';

/**
 * How many times a case write is tried inside the worker before the server takes its retries over:
 * about eight in the first 13 s, then four more on back-off timers, some four minutes in all. A
 * count, not a timeout, so the bound is the same on the workflow's clock and the worker's.
 */
export const LOCAL_WRITE_ATTEMPTS = 12;

/**
 * The pre-screen, matching, assignment and erasure. Each activity is a few queries: a short
 * timeout lets a crashed worker's task move on quickly.
 */
export const activities = verifiedActivities<LeadActivities>(
  {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  },
  (type) => activitySummary(type, summaryLocale),
);

/** The language of the history's activity summaries: the case's (set once as its run starts). */
let summaryLocale: Locale = 'zh-CN';
export function useSummaryLocale(locale: Locale): void {
  summaryLocale = locale;
}

/**
 * The case's own small writes (projection, consent, decisions, contact log, notifications) run as
 * local activities: in the worker, inside the workflow task that needs them, with no activity task
 * round trip through the server. Each write is keyed (seq or eventId), so a re-run after a crash
 * changes nothing. A back-off longer than the threshold waits on a server timer instead of holding
 * the workflow task.
 */
const tryLocally = (summary: string | undefined) => proxyLocalActivities<LeadActivities>({ ...LOCAL_OPTIONS, summary });
const LOCAL_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  // Past the threshold every retry of a local activity adds events to the history; unbounded, a
  // database down for days would carry the case to Temporal's event limit and its termination.
  retry: {
    initialInterval: '100 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: LOCAL_WRITE_ATTEMPTS,
  },
};

/**
 * A write that is still failing when its local bound runs out goes on as an ordinary activity: the
 * server keeps its retries and the history grows by a few events however long the outage lasts. The
 * writes are keyed, so the one that finally lands is the only one. A refusal (a non-retryable
 * failure) or a cancellation is not retried this way.
 */
export const localWrites = new Proxy({} as LeadActivities, {
  get:
    (_target, name: keyof LeadActivities) =>
    async (...args: unknown[]) => {
      const call = <F>(proxy: LeadActivities) => (proxy[name] as (...a: unknown[]) => Promise<F>)(...args);
      try {
        return await call(tryLocally(activitySummary(name, summaryLocale)));
      } catch (err) {
        // A local activity's refusal comes unwrapped; wrapped, it reads as any activity's does.
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          throw new ActivityFailure(
            err.message,
            String(name),
            undefined,
            RetryState.NON_RETRYABLE_FAILURE,
            undefined,
            err,
          );
        }
        if (!outlastedLocalBound(err)) throw err;
        log.warn('a case write outlasted its local retries; retrying it as an activity', { activity: String(name) });
        return call(activities);
      }
    },
});

/** True for a write that failed only because its local attempts ran out (a local activity's last failure comes unwrapped). */
function outlastedLocalBound(err: unknown): boolean {
  if (isCancellation(err)) return false;
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (failure instanceof ApplicationFailure) return !failure.nonRetryable;
  return failure instanceof TimeoutFailure;
}

/**
 * The type of an activity failure that no retry will mend (a non-retryable ApplicationFailure), as a
 * close-reason code; null for anything else.
 */
export function terminalFailureType(err: unknown): string | null {
  if (!(err instanceof ActivityFailure)) return null;
  const cause = err.cause;
  if (!(cause instanceof ApplicationFailure) || !cause.nonRetryable) return null;
  // A run that does not own the case's workflow ID (../run-chain.ts) has no case to close: it fails.
  if (cause.type === NOT_THE_CASE_RUN) return null;
  // Only a code goes into the case's state: an unexpected type could carry anything.
  return /^[a-z0-9_]{1,64}$/.test(cause.type ?? '') ? cause.type! : 'unknown';
}
