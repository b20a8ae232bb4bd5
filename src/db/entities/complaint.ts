import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { ComplaintCategory, ComplaintPriority, ComplaintResolution, ComplaintState, Satisfaction } from '../../domain/complaint-rules';

/**
 * One complaint: what it is about, its priority, and the projection of its workflow (state, due
 * times, lateness, escalation, resolution and satisfaction) that lists and reports read. The
 * description and the customer's contact are in `sealed`, never in the clear.
 */
@Entity({ name: 'complaints' })
export class Complaint {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'workflow_id', type: 'text', unique: true }) workflowId!: string;
  @Column({ name: 'case_id', type: 'uuid', nullable: true }) caseId!: string | null;
  @Column({ name: 'channel_id', type: 'text', nullable: true }) channelId!: string | null;
  /** The case's broker when the complaint was filed (reports group by it). */
  @Column({ name: 'broker_id', type: 'text', nullable: true }) brokerId!: string | null;
  @Column({ type: 'text' }) category!: ComplaintCategory;
  @Column({ name: 'requested_priority', type: 'text' }) requestedPriority!: ComplaintPriority;
  @Column({ type: 'text' }) priority!: ComplaintPriority;
  @Column({ name: 'priority_raised_by', type: 'text', array: true, default: '{}' }) priorityRaisedBy!: string[];
  @Column({ name: 'about_contact', type: 'boolean' }) aboutContact!: boolean;
  @Column({ name: 'do_not_contact', type: 'text' }) doNotContact!: 'not_needed' | 'requested' | 'applied' | 'case_finished';
  @Column({ type: 'text' }) state!: ComplaintState;
  /** `role:sub` of who filed it. */
  @Column({ name: 'filed_by', type: 'text' }) filedBy!: string;
  @Column({ name: 'filed_at', type: 'timestamptz' }) filedAt!: Date;
  /** `case`: sealed under the case's data key (erased with the case); `complaint`: under its own key. */
  @Column({ name: 'key_scope', type: 'text' }) keyScope!: 'case' | 'complaint';
  /** AES-256-GCM of `{description, customer}`; NULL once erased. */
  @Column({ type: 'bytea', nullable: true }) sealed!: Buffer | null;
  @Column({ name: 'first_response_due_at', type: 'timestamptz' }) firstResponseDueAt!: Date;
  @Column({ name: 'first_responded_at', type: 'timestamptz', nullable: true }) firstRespondedAt!: Date | null;
  @Column({ name: 'late_first_response', type: 'boolean', default: false }) lateFirstResponse!: boolean;
  @Column({ name: 'resolution_due_at', type: 'timestamptz' }) resolutionDueAt!: Date;
  @Column({ name: 'late_resolution', type: 'boolean', default: false }) lateResolution!: boolean;
  /** While open: the first-response due time until answered, then the resolution due time. */
  @Column({ name: 'next_due_at', type: 'timestamptz', nullable: true }) nextDueAt!: Date | null;
  @Column({ name: 'escalated_teams', type: 'text', array: true, nullable: true }) escalatedTeams!: string[] | null;
  @Column({ name: 'escalated_at', type: 'timestamptz', nullable: true }) escalatedAt!: Date | null;
  @Column({ name: 'times_reopened', type: 'integer', default: 0 }) timesReopened!: number;
  @Column({ type: 'text', nullable: true }) resolution!: ComplaintResolution | null;
  @Column({ type: 'text', nullable: true }) satisfaction!: Satisfaction | null;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt!: Date | null;
  @Column({ name: 'retention_due_at', type: 'timestamptz', nullable: true }) retentionDueAt!: Date | null;
  @Column({ name: 'legal_hold', type: 'boolean', default: false }) legalHold!: boolean;
  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true }) erasedAt!: Date | null;
  @Column({ name: 'projection_seq', type: 'integer', default: 0 }) projectionSeq!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** The data key of a complaint sealed under a key of its own, wrapped by the master key. Deleting it shreds the complaint's text. */
@Entity({ name: 'complaint_data_keys' })
export class ComplaintDataKey {
  @PrimaryColumn({ name: 'complaint_id', type: 'uuid' }) complaintId!: string;
  @Column({ name: 'master_key_id', type: 'text' }) masterKeyId!: string;
  @Column({ name: 'wrapped_key', type: 'bytea' }) wrappedKey!: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}

/** What happened to a complaint: filing, responses, escalations, reopening, close; a typed note is sealed. */
@Entity({ name: 'complaint_events' })
export class ComplaintEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'event_id', type: 'text', unique: true }) eventId!: string;
  @Column({ name: 'complaint_id', type: 'uuid' }) complaintId!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) details!: Record<string, unknown>;
  @Column({ name: 'note_sealed', type: 'bytea', nullable: true }) noteSealed!: Buffer | null;
}
