import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AuditCheckpoint } from '../../modules/audit/contract';
import { GENESIS } from './hash';
import type { AuditKeyring } from './keyring';

export type { AuditCheckpoint };

export type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

const checkpointText = (c: Omit<AuditCheckpoint, 'signature'>) =>
  `audit-checkpoint:${JSON.stringify([c.lastId, c.count, c.headMac, c.at, c.keyId])}`;

export function signAuditCheckpoint(
  ring: AuditKeyring,
  fields: Omit<AuditCheckpoint, 'keyId' | 'signature'>,
): AuditCheckpoint {
  const unsigned = {
    lastId: fields.lastId,
    count: fields.count,
    headMac: fields.headMac,
    at: fields.at,
    keyId: ring.currentId,
  };
  return {
    ...unsigned,
    signature: createHmac('sha256', ring.keys.get(ring.currentId)!).update(checkpointText(unsigned)).digest('hex'),
  };
}

/** Whether a checkpoint was signed by one of our audit keys and is unaltered. */
export function auditCheckpointSigned(ring: AuditKeyring, c: AuditCheckpoint): boolean {
  const key = ring.keys.get(c.keyId);
  if (!key || typeof c.signature !== 'string') return false;
  const expected = createHmac('sha256', key).update(checkpointText(c)).digest();
  const given = Buffer.from(c.signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Reads the chain's head and signs it. No lock is needed: appends hold the chain's lock until they
 * commit and take their ids under it, so once the newest row is visible every row before it is.
 */
// ORDER BY names the table's column: the bare `id` would be the text alias, and '9' sorts after '12'.
export async function takeAuditCheckpoint(
  db: Queryable,
  ring: AuditKeyring,
  now = new Date(),
): Promise<AuditCheckpoint> {
  const [head] = (await db.query(
    'SELECT id::text AS id, hash FROM audit_events ORDER BY audit_events.id DESC LIMIT 1',
  )) as { id: string; hash: string }[];
  const lastId = head?.id ?? '0';
  const [{ n }] = (await db.query('SELECT count(*)::text AS n FROM audit_events WHERE id <= $1', [lastId])) as {
    n: string;
  }[];
  return signAuditCheckpoint(ring, { lastId, count: Number(n), headMac: head?.hash ?? GENESIS, at: now.toISOString() });
}

/**
 * Why the trail no longer reaches a checkpoint taken earlier (its head row gone or changed, rows
 * before it removed), or null when it still does. Checked before a new checkpoint is signed: one
 * signed over a cut would seal the cut in, since verification looks at the newest checkpoint.
 */
export async function checkpointNoLongerReached(db: Queryable, previous: AuditCheckpoint): Promise<string | null> {
  if (previous.count === 0) return null;
  const [head] = (await db.query('SELECT hash FROM audit_events WHERE id = $1', [previous.lastId])) as {
    hash: string;
  }[];
  if (!head) return `row ${previous.lastId}, the head at the checkpoint of ${previous.at}, is gone`;
  if (head.hash !== previous.headMac)
    return `row ${previous.lastId} is not the one the checkpoint of ${previous.at} signed`;
  const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM audit_events WHERE id <= $1', [previous.lastId])) as {
    n: number;
  }[];
  if (n !== previous.count)
    return `${n} rows up to row ${previous.lastId}, where the checkpoint of ${previous.at} counted ${previous.count}`;
  return null;
}
