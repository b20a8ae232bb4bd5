import { z } from 'zod';

/** Channel partners' API keys, and the audit trail: its query, checkpoint and verification. */

export const apiKeyCreateSchema = z.strictObject({ label: z.string().trim().min(1).max(100) });

export const apiKeyParams = z.object({
  id: z.string().min(1).max(64),
  keyId: z.string().regex(/^[0-9a-f]{16}$/, 'a key ID is 16 hex digits'),
});

const MAX_REVOKE_AHEAD_HOURS = 72;

export const apiKeyRevokeSchema = z.strictObject({
  reason: z.string().trim().min(1).max(500),
  /** When the key stops working; now if left out. At most 72 hours ahead. */
  at: z.iso
    .datetime({ offset: true })
    .transform((v) => new Date(v))
    .refine(
      (d) => d.getTime() <= Date.now() + MAX_REVOKE_AHEAD_HOURS * 3_600_000,
      `at most ${MAX_REVOKE_AHEAD_HOURS} hours ahead`,
    )
    .optional(),
});

export const apiKeyRotateSchema = z.strictObject({
  reason: z.string().trim().min(1).max(500),
  /** How long the old key keeps working beside the new one, so the partner can switch without a gap. */
  overlapHours: z.number().int().min(0).max(MAX_REVOKE_AHEAD_HOURS).default(24),
  /** The new key's label; the old one's if left out. */
  label: z.string().trim().min(1).max(100).optional(),
});

export const auditQuerySchema = z.strictObject({
  targetType: z.string().max(40).optional(),
  targetId: z.string().max(100).optional(),
  actorSub: z.string().max(100).optional(),
  action: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  beforeId: z.coerce.number().int().positive().optional(),
});

export const auditCheckpointSchema = z.object({
  lastId: z.number().int().describe('the newest audit row when it was taken (0: none)'),
  count: z.number().int().describe('rows up to lastId'),
  headMac: z.string().describe('the MAC of row lastId'),
  at: z.string().describe('when it was taken'),
  keyId: z.string().describe('the audit key that signed it'),
  signature: z.string().describe('HMAC-SHA256 over the fields above'),
});

export const auditVerifySchema = z.object({
  intact: z.boolean(),
  code: z
    .enum([
      'link_broken',
      'row_altered',
      'unknown_key',
      'unkeyed_row',
      'checkpoint_signature_invalid',
      'checkpoint_row_missing',
      'checkpoint_count_mismatch',
      'checkpoint_head_mismatch',
      'chain_ends_before_checkpoint',
      'checkpoint_overdue',
      'checkpoint_missing',
    ])
    .optional()
    .describe('why not, when not intact'),
  reason: z.string().optional(),
  firstBrokenId: z.number().int().nullable().optional().describe('the row where it shows, when one does'),
  checkpoint: z
    .object({
      lastId: z.number().int(),
      count: z.number().int(),
      at: z.string(),
      keyId: z.string(),
      ageSeconds: z.number().int().describe('a cut of rows appended since could go unseen: the window'),
    })
    .nullable()
    .describe('the newest checkpoint kept outside Postgres; null before the first'),
});
