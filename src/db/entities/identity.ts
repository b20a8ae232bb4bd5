import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The person behind a case, encrypted with the case's own data key (see lead_data_keys).
 * Nothing here is readable without that key; erasure deletes the row and destroys the key.
 */
@Entity({ name: 'identities' })
export class Identity {
  @PrimaryColumn({ name: 'case_id', type: 'uuid' }) caseId!: string;
  /** AES-256-GCM: 12-byte IV ‖ ciphertext ‖ 16-byte tag, of the JSON identity. */
  @Column({ type: 'bytea' }) sealed!: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}

/** A case's data key, wrapped by the master key named by keyId. Deleting it crypto-shreds every copy. */
@Entity({ name: 'lead_data_keys' })
export class LeadDataKey {
  @PrimaryColumn({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ name: 'master_key_id', type: 'text' }) masterKeyId!: string;
  @Column({ name: 'wrapped_key', type: 'bytea' }) wrappedKey!: Buffer;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
}

/** Income and debt: credit facts, kept apart from identity. */
@Entity({ name: 'credit_facts' })
export class CreditFacts {
  @PrimaryColumn({ name: 'case_id', type: 'uuid' }) caseId!: string;
  @Column({ name: 'monthly_income', type: 'integer' }) monthlyIncome!: number;
  @Column({ name: 'monthly_debt', type: 'integer' }) monthlyDebt!: number;
}
