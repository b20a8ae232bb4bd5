import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A channel partner's API key: only a hash of its secret is kept. */
@Entity({ name: 'channel_api_keys' })
export class ChannelApiKey {
  @PrimaryColumn({ name: 'key_id', type: 'text' }) keyId!: string;
  @Column({ name: 'channel_id', type: 'text' }) channelId!: string;
  @Column({ type: 'text' }) label!: string;
  @Column({ name: 'secret_hash', type: 'text' }) secretHash!: string;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  /** Refused from this moment on; in the future while a rotation's overlap runs. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true }) revokedAt!: Date | null;
  @Column({ name: 'revoked_by', type: 'text', nullable: true }) revokedBy!: string | null;
  @Column({ name: 'revoke_reason', type: 'text', nullable: true }) revokeReason!: string | null;
  /** The key a rotation issued in this one's place. */
  @Column({ name: 'replaced_by', type: 'text', nullable: true }) replacedBy!: string | null;
}
