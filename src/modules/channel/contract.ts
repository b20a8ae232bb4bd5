import type { ChannelGrade } from '../../platform/domain/types';

/** What the channel review workflow asks of Postgres. Imported by workflows with `import type` only. */
export interface ReviewChannelInput {
  /** The review run (its workflow ID): one grading per channel per review, so a retry writes nothing twice. */
  reviewId: string;
  channelId: string;
  /** The review's clock (workflow time): the window ends here. */
  at: string;
}

export interface ChannelReviewOutcome {
  channelId: string;
  gradeBefore: ChannelGrade;
  gradeAfter: ChannelGrade;
  suspendedBefore: boolean;
  suspendedAfter: boolean;
  /** False when too few leads to judge. */
  judged: boolean;
  /** The review's own view was not applied because a manager's override is in force. */
  overridden: boolean;
  changed: boolean;
}

export interface ChannelActivities {
  /** Every channel, or those of `channelIds` that exist. */
  listChannelsForReview(input: { channelIds?: string[] }): Promise<string[]>;
  reviewChannel(input: ReviewChannelInput): Promise<ChannelReviewOutcome>;
}
