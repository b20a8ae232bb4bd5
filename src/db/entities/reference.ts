import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ChannelGrade, ChannelType, RiskTier } from '../../domain/types';

const numeric = { type: 'numeric' as const, transformer: { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) } };

@Entity({ name: 'lenders' })
export class Lender {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'licence_no', type: 'text' }) licenceNo!: string;
  @Column({ type: 'boolean' }) licensed!: boolean;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ type: 'boolean', default: false }) demo!: boolean;
}

@Entity({ name: 'products' })
export class Product {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ name: 'lender_id', type: 'text' }) lenderId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'apr_min_pct', ...numeric }) aprMinPct!: number;
  /** All fees included: this is the figure the APR cap is checked against. */
  @Column({ name: 'apr_max_pct', ...numeric }) aprMaxPct!: number;
  @Column({ name: 'amount_min', type: 'integer' }) amountMin!: number;
  @Column({ name: 'amount_max', type: 'integer' }) amountMax!: number;
  @Column({ name: 'term_min_months', type: 'integer' }) termMinMonths!: number;
  @Column({ name: 'term_max_months', type: 'integer' }) termMaxMonths!: number;
  @Column({ type: 'boolean' }) secured!: boolean;
  @Column({ name: 'disbursement_days', type: 'integer' }) disbursementDays!: number;
  @Column({ name: 'eligible_tiers', type: 'text', array: true }) eligibleTiers!: RiskTier[];
  /** Province codes served; null means nationwide. */
  @Column({ type: 'text', array: true, nullable: true }) provinces!: string[] | null;
  @Column({ name: 'allows_non_local', type: 'boolean' }) allowsNonLocal!: boolean;
  @Column({ name: 'age_min', type: 'integer' }) ageMin!: number;
  @Column({ name: 'age_max', type: 'integer' }) ageMax!: number;
  /** Kept for the firm's accounts; matching never reads it. */
  @Column({ name: 'commission_pct', ...numeric }) commissionPct!: number;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ type: 'boolean', default: false }) demo!: boolean;
}

@Entity({ name: 'channels' })
export class Channel {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) type!: ChannelType;
  @Column({ type: 'text' }) partner!: string;
  @Column({ type: 'text' }) grade!: ChannelGrade;
  @Column({ type: 'boolean', default: false }) suspended!: boolean;
  @Column({ name: 'suspension_reason', type: 'text', nullable: true }) suspensionReason!: string | null;
  /** Who suspended it: the review lifts only its own suspensions. */
  @Column({ name: 'suspended_by', type: 'text', nullable: true }) suspendedBy!: 'review' | 'override' | 'admin' | null;
  @Column({ name: 'graded_at', type: 'timestamptz', nullable: true }) gradedAt!: Date | null;
  /** A manager's override: while it lasts the review records its grade but does not apply it. */
  @Column({ name: 'override_grade', type: 'text', nullable: true }) overrideGrade!: ChannelGrade | null;
  @Column({ name: 'override_suspended', type: 'boolean', nullable: true }) overrideSuspended!: boolean | null;
  @Column({ name: 'override_reason', type: 'text', nullable: true }) overrideReason!: string | null;
  @Column({ name: 'override_by', type: 'text', nullable: true }) overrideBy!: string | null;
  @Column({ name: 'override_at', type: 'timestamptz', nullable: true }) overrideAt!: Date | null;
  @Column({ name: 'override_until', type: 'timestamptz', nullable: true }) overrideUntil!: Date | null;
  @Column({ name: 'cac_cny', type: 'integer', default: 0 }) cacCny!: number;
  /** The broker team that works this channel's leads first. */
  @Column({ type: 'text', nullable: true }) team!: string | null;
  @Column({ type: 'boolean', default: false }) demo!: boolean;
}

@Entity({ name: 'brokers' })
export class Broker {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ name: 'display_name', type: 'text' }) displayName!: string;
  @Column({ type: 'text' }) team!: string;
  @Column({ type: 'boolean' }) active!: boolean;
  @Column({ type: 'boolean', default: false }) demo!: boolean;
}

/** People the firm must not serve, by blind index only. */
@Entity({ name: 'blacklist_entries' })
export class BlacklistEntry {
  @PrimaryColumn({ name: 'blind_index', type: 'text' }) blindIndex!: string;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'added_at', type: 'timestamptz', default: () => 'now()' }) addedAt!: Date;
}

/** Applications a person made to lenders (reported back by lenders), for the 多头借贷 signal. */
@Entity({ name: 'lender_applications' })
export class LenderApplication {
  @PrimaryColumn({ type: 'bigint', generated: 'increment' }) id!: string;
  @Column({ name: 'id_index', type: 'text' }) idIndex!: string;
  @Column({ name: 'lender_id', type: 'text' }) lenderId!: string;
  @Column({ name: 'applied_at', type: 'timestamptz' }) appliedAt!: Date;
}
