import { createHash, createHmac } from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json';

/** The previous hash of the chain's first row. */
export const GENESIS = 'genesis';

export type ChainedFields = {
  at: string;
  actorSub: string;
  actorRole: string;
  action: string;
  targetType: string;
  targetId: string | null;
  details: unknown;
};

/** Canonical JSON of a row's fields after the previous hash, with the closing bracket: `,"<at>",…]` without the comma. */
export function canonicalTail(row: ChainedFields): string {
  return canonicalJson([
    row.at,
    row.actorSub,
    row.actorRole,
    row.action,
    row.targetType,
    row.targetId,
    row.details,
  ]).slice(1);
}

const linkText = (prevHash: string, row: ChainedFields) => `[${JSON.stringify(prevHash)},${canonicalTail(row)}`;

/**
 * The link of a row written before the chain was keyed (key_id NULL): SHA-256 of the canonical
 * JSON array [prevHash, at, actorSub, actorRole, action, targetType, targetId, details].
 */
export function auditHash(prevHash: string, row: ChainedFields): string {
  return createHash('sha256').update(linkText(prevHash, row)).digest('hex');
}

/**
 * The link of a keyed row: HMAC-SHA256 under the audit key of the same canonical JSON array,
 * written out as `["<prevHash>",` + tail so that Postgres (audit_append, migration
 * 1765450000000) computes the same MAC from the same tail with the key the connection carries.
 */
export function auditMac(key: Buffer, prevHash: string, row: ChainedFields): string {
  return createHmac('sha256', key).update(linkText(prevHash, row)).digest('hex');
}
