import { workflowInfo, setWorkflowOptions } from '@temporalio/workflow';
import type { ChannelActivities, ChannelReviewOutcome } from './contract';
import { verifiedActivities } from '../../platform/workflow/verified-activities';

const acts = verifiedActivities<ChannelActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** Channels graded at once: enough to finish quickly, few enough not to crowd out case work. */
const BATCH = 8;

export interface ChannelReviewSummary {
  reviewId: string;
  at: string;
  reviewed: number;
  changed: ChannelReviewOutcome[];
  suspended: string[];
  overridden: string[];
}

/**
 * Daily (and on request, for every channel or the ones named): grade each channel on the cases it brought in the review window,
 * record each grading with its figures, and apply grade and suspension unless a manager's override
 * holds them. The workflow ID is the review's key, so a retried grading writes nothing twice.
 */
export async function channelReview(input: { channelIds?: string[] } = {}): Promise<ChannelReviewSummary> {
  const reviewId = workflowInfo().workflowId;
  const at = new Date(Date.now()).toISOString();
  const channelIds = await acts.listChannelsForReview({ channelIds: input.channelIds });
  const outcomes: ChannelReviewOutcome[] = [];
  for (let i = 0; i < channelIds.length; i += BATCH) {
    const batch = channelIds.slice(i, i + BATCH);
    outcomes.push(...(await Promise.all(batch.map((channelId) => acts.reviewChannel({ reviewId, channelId, at })))));
  }
  return {
    reviewId,
    at,
    reviewed: outcomes.length,
    changed: outcomes.filter((o) => o.changed),
    suspended: outcomes.filter((o) => o.suspendedAfter).map((o) => o.channelId),
    overridden: outcomes.filter((o) => o.overridden).map((o) => o.channelId),
  };
}

// Short or self-renewing runs: they move to the current build (docs/versioning.md).
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, channelReview);
