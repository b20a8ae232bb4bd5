import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** Versioned consent notices: what the customer was shown, fixed by its content hash. */
@Entity({ name: 'consent_notices' })
export class ConsentNotice {
  @PrimaryColumn({ type: 'text' }) version!: string;
  @Column({ type: 'text' }) text!: string;
  @Column({ name: 'content_hash', type: 'text' }) contentHash!: string;
  @Column({ name: 'published_at', type: 'timestamptz', default: () => 'now()' }) publishedAt!: Date;
}

/** The consent ledger: one immutable row per grant or withdrawal of one purpose. */
@Entity({ name: 'consents' })
export class ConsentRecord {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  /** Unique key of the workflow event that wrote it, so a retried activity writes nothing twice. */
  @Column({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ type: 'text' }) purpose!: string;
  @Column({ type: 'text' }) action!: 'grant' | 'withdraw';
  @Column({ name: 'notice_version', type: 'text', nullable: true }) noticeVersion!: string | null;
  @Column({ type: 'text' }) source!: string;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) evidence!: Record<string, unknown>;
  @Column({ type: 'timestamptz' }) at!: Date;
}

/** Automated and human decisions with the rules that fired and the de-identified inputs, for explanations. */
@Entity({ name: 'decisions' })
export class DecisionRecord {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ type: 'text' }) kind!: 'prescreen' | 'manual_review' | 'match' | 'human_review_request';
  @Column({ type: 'text', nullable: true }) tier!: string | null;
  @Column({ type: 'text', nullable: true }) outcome!: string | null;
  @Column({ name: 'rules_fired', type: 'jsonb', default: () => "'[]'::jsonb" }) rulesFired!: unknown[];
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) inputs!: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) result!: Record<string, unknown>;
  @Column({ name: 'decided_by', type: 'text' }) decidedBy!: string;
  @Column({ name: 'decided_at', type: 'timestamptz' }) decidedAt!: Date;
}

@Entity({ name: 'contact_log' })
export class ContactAttempt {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ name: 'broker_id', type: 'text' }) brokerId!: string;
  @Column({ type: 'text' }) channel!: string;
  @Column({ type: 'text' }) purpose!: string;
  @Column({ type: 'text' }) outcome!: string;
  @Column({ type: 'text', nullable: true }) note!: string | null;
  @Column({ name: 'local_day', type: 'text' }) localDay!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
}

/** Outbox: reminders, escalations and review requests, delivered by a relay with retries. */
@Entity({ name: 'notifications' })
export class Notification {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'event_id', type: 'text' }) eventId!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ name: 'case_id', type: 'uuid', nullable: true }) caseId!: string | null;
  @Column({ name: 'recipient_role', type: 'text' }) recipientRole!: string;
  @Column({ name: 'recipient_id', type: 'text', nullable: true }) recipientId!: string | null;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ type: 'text', default: 'pending' }) status!: 'pending' | 'sent' | 'failed' | 'skipped';
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt!: Date | null;
  /** When a pending notification may next be tried: back-off from its last attempt, or a delivery's lease. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' }) nextAttemptAt!: Date;
}

/** Append-only audit trail; each row carries the hash of the one before it. */
@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ name: 'actor_sub', type: 'text' }) actorSub!: string;
  @Column({ name: 'actor_role', type: 'text' }) actorRole!: string;
  @Column({ type: 'text' }) action!: string;
  @Column({ name: 'target_type', type: 'text' }) targetType!: string;
  @Column({ name: 'target_id', type: 'text', nullable: true }) targetId!: string | null;
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" }) details!: Record<string, unknown>;
  @Column({ name: 'prev_hash', type: 'text' }) prevHash!: string;
  @Column({ type: 'text' }) hash!: string;
}

/** Responses to POSTs that carried an Idempotency-Key, replayed on a retry. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKey {
  @PrimaryColumn({ type: 'text' }) scope!: string;
  @PrimaryColumn({ type: 'text' }) key!: string;
  @Column({ name: 'request_hash', type: 'text' }) requestHash!: string;
  @Column({ name: 'status_code', type: 'integer' }) statusCode!: number;
  @Column({ type: 'jsonb' }) response!: unknown;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}

/** Every intake a case received: the first, and each duplicate (撞单) that joined it. */
@Entity({ name: 'lead_intakes' })
export class LeadIntake {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ name: 'channel_id', type: 'text' }) channelId!: string;
  @Column({ type: 'text' }) kind!: 'new' | 'duplicate';
  @Column({ name: 'matched_on', type: 'text', nullable: true }) matchedOn!: 'id_number' | 'phone' | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) at!: Date;
}

/** Evidence that a case's personal data was erased: the fact, when, why, and a hash; never the data. */
@Entity({ name: 'erasure_records' })
export class ErasureRecord {
  @PrimaryColumn({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'erased_at', type: 'timestamptz' }) erasedAt!: Date;
  @Column({ name: 'evidence_hash', type: 'text' }) evidenceHash!: string;
  @Column({ type: 'jsonb' }) facts!: Record<string, unknown>;
}

/** A legal hold placed on or released from a case, with its reason until the case is erased. */
@Entity({ name: 'legal_hold_events' })
export class LegalHoldEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ type: 'boolean' }) hold!: boolean;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ name: 'request_key', type: 'text', nullable: true }) requestKey!: string | null;
}
