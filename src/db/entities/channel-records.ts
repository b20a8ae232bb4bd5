import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ChannelGrade } from '../../domain/types';

/** The latest status a lender reported for a loan made on one of our cases (for the channel's NPL). */
@Entity({ name: 'loan_performance' })
export class LoanPerformance {
  @PrimaryColumn({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ name: 'lender_id', type: 'text' }) lenderId!: string;
  @Column({ type: 'text' }) status!: 'performing' | 'overdue' | 'bad' | 'repaid';
  @Column({ name: 'as_of', type: 'date' }) asOf!: string;
  @Column({ name: 'reported_by', type: 'text' }) reportedBy!: string;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
}

/** One channel's grading by one review, or a manager's override: before, after and the figures why. Append-only. */
@Entity({ name: 'channel_gradings' })
export class ChannelGrading {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'review_id', type: 'text' }) reviewId!: string;
  @Column({ name: 'channel_id', type: 'text' }) channelId!: string;
  @Column({ type: 'text' }) source!: 'review' | 'override' | 'override_cleared';
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ name: 'window_from', type: 'timestamptz', nullable: true }) windowFrom!: Date | null;
  @Column({ name: 'window_to', type: 'timestamptz', nullable: true }) windowTo!: Date | null;
  @Column({ name: 'computed_grade', type: 'text', nullable: true }) computedGrade!: ChannelGrade | null;
  @Column({ name: 'computed_suspend', type: 'boolean', nullable: true }) computedSuspend!: boolean | null;
  @Column({ type: 'boolean', nullable: true }) judged!: boolean | null;
  @Column({ name: 'grade_before', type: 'text' }) gradeBefore!: ChannelGrade;
  @Column({ name: 'suspended_before', type: 'boolean' }) suspendedBefore!: boolean;
  @Column({ name: 'grade_after', type: 'text' }) gradeAfter!: ChannelGrade;
  @Column({ name: 'suspended_after', type: 'boolean' }) suspendedAfter!: boolean;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) figures!: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" }) reasons!: string[];
  @Column({ name: 'decided_by', type: 'text' }) decidedBy!: string;
}
