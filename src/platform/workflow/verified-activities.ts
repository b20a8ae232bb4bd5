import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  TimeoutFailure,
  log,
  sleep,
  uuid4,
  type ActivityOptions,
} from '@temporalio/workflow';
// eslint-disable-next-line no-restricted-imports -- the one place that calls it, to check what comes back
import { proxyActivities } from '@temporalio/workflow';
import { failureStampedFor, openResult, type OutcomeStamp } from './activity-outcome';

type Expected = Pick<OutcomeStamp, 'activityId' | 'activityType'>;

type AnyActivity = (...args: unknown[]) => Promise<unknown>;

/** The longest wait before an activity whose outcome was refused runs again. */
const MAX_REFUSED_BACKOFF_MS = 60 * 60 * 1000;

/**
 * `proxyActivities` for the service's workflows: each call runs under an activity ID of its own (random) and
 * takes only an outcome stamped for that run and activity (./activity-outcome.ts). An outcome
 * completed or failed from outside the service is refused: the workflow logs it and runs the
 * activity again (at once the first time, then backing off up to an hour, so an activity that can
 * never be stamped does not flood the history). The activities are keyed, so running one again
 * changes nothing the first run did.
 */
export function verifiedActivities<A extends object>(
  options: ActivityOptions,
  summaryOf: (activityType: string) => string | undefined = () => undefined,
): A {
  return new Proxy({} as A, {
    get: (_target, name) =>
      typeof name === 'string'
        ? (...args: unknown[]) => callVerified(name, { ...options, summary: summaryOf(name) }, args)
        : undefined,
  });
}

async function callVerified(activityType: string, options: ActivityOptions, args: unknown[]): Promise<unknown> {
  for (let refused = 0; ; refused++) {
    const expected = { activityId: `${activityType}-${uuid4()}`, activityType };
    const activity = proxyActivities<Record<string, AnyActivity>>({ ...options, activityId: expected.activityId })[
      activityType
    ];
    let outcome: 'result' | 'failure';
    try {
      const opened = openResult(await activity(...args), expected);
      if (opened.ok) return opened.value;
      outcome = 'result';
    } catch (err) {
      if (!isForgedFailure(err, expected)) throw err;
      outcome = 'failure';
    }
    log.warn('an activity outcome the service did not produce was refused; the activity runs again', {
      activityType,
      activityId: expected.activityId,
      outcome,
    });
    if (refused > 0) await sleep(Math.min(1000 * 2 ** (refused - 1), MAX_REFUSED_BACKOFF_MS));
  }
}

/**
 * Whether an activity's failure did not come from the service's worker or from the server: a
 * failure the activity raised carries its stamp; a timeout is the server's own; a cancellation is
 * real only when the workflow asked for one.
 */
function isForgedFailure(err: unknown, expected: Expected): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return !failureStampedFor(cause.details, expected);
  if (cause instanceof TimeoutFailure) return false;
  if (cause instanceof CancelledFailure) return !CancellationScope.current().consideredCancelled;
  return true;
}
