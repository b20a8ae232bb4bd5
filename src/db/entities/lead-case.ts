import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { AgeBand, CaseOutcome, ChannelGrade, ConsentState, LeadStage, Occupation, RiskTier } from '../../domain/types';

/**
 * One lead case: non-identifying facts plus the read-side projection of the workflow's state that
 * activities keep current. Identity lives in `identities`, encrypted; only keyed blind indexes are here.
 */
@Entity({ name: 'lead_cases' })
export class LeadCase {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'workflow_id', type: 'text', unique: true }) workflowId!: string;
  @Column({ name: 'channel_id', type: 'text' }) channelId!: string;
  @Column({ name: 'channel_grade', type: 'text' }) channelGrade!: ChannelGrade;
  @Column({ type: 'text' }) stage!: LeadStage;
  /** False once the case is closed, declined, withdrawn or erased; the duplicate check only looks at open cases. */
  @Column({ name: 'is_open', type: 'boolean', default: true }) isOpen!: boolean;
  @Column({ name: 'risk_tier', type: 'text', nullable: true }) riskTier!: RiskTier | null;
  @Column({ name: 'broker_id', type: 'text', nullable: true }) brokerId!: string | null;
  @Column({ name: 'consent_state', type: 'text', default: 'none' }) consentState!: ConsentState;
  @Column({ type: 'boolean' }) vulnerable!: boolean;
  @Column({ name: 'is_local', type: 'boolean' }) isLocal!: boolean;
  @Column({ name: 'amount_cny', type: 'integer' }) amountCny!: number;
  @Column({ name: 'term_months', type: 'integer' }) termMonths!: number;
  @Column({ name: 'loan_purpose', type: 'text' }) loanPurpose!: string;
  @Column({ type: 'text' }) occupation!: Occupation;
  @Column({ name: 'age_band', type: 'text' }) ageBand!: AgeBand;
  @Column({ name: 'province_code', type: 'text' }) provinceCode!: string;
  @Column({ name: 'region_prefix', type: 'text' }) regionPrefix!: string;
  /** Exact age for product age limits; cleared at erasure, when only the age band stays. */
  @Column({ name: 'age_at_intake', type: 'integer', nullable: true }) ageAtIntake!: number | null;
  /** Which of phone / IP region differ from the residence (属地经营), as codes like 'ip'. */
  @Column({ name: 'region_mismatches', type: 'text', array: true, default: '{}' }) regionMismatches!: string[];
  @Column({ name: 'id_index', type: 'text', nullable: true }) idIndex!: string | null;
  @Column({ name: 'phone_index', type: 'text', nullable: true }) phoneIndex!: string | null;
  @Column({ name: 'device_index', type: 'text', nullable: true }) deviceIndex!: string | null;
  @Column({ name: 'sla_due_at', type: 'timestamptz', nullable: true }) slaDueAt!: Date | null;
  @Column({ name: 'sla_kind', type: 'text', nullable: true }) slaKind!: string | null;
  @Column({ name: 'do_not_contact', type: 'boolean', default: false }) doNotContact!: boolean;
  /** The pre-screen fired a fraud rule; the channel figures count these. */
  @Column({ name: 'fraud_flagged', type: 'boolean', default: false }) fraudFlagged!: boolean;
  @Column({ name: 'selected_product_id', type: 'text', nullable: true }) selectedProductId!: string | null;
  @Column({ type: 'text', nullable: true }) outcome!: CaseOutcome | null;
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true }) closedAt!: Date | null;
  @Column({ name: 'retention_due_at', type: 'timestamptz', nullable: true }) retentionDueAt!: Date | null;
  @Column({ name: 'legal_hold', type: 'boolean', default: false }) legalHold!: boolean;
  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true }) erasedAt!: Date | null;
  /** Who submitted the lead, as `role:sub` (a broker who submitted it may see it before assignment). */
  @Column({ name: 'submitted_by', type: 'text', default: 'unknown' }) submittedBy!: string;
  /** Highest workflow event sequence applied to this projection, so a late retry never moves it backwards. */
  @Column({ name: 'projection_seq', type: 'integer', default: 0 }) projectionSeq!: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
