import { config } from '../config';
import { auditCheckpointSigned, type AuditCheckpoint, type Queryable } from './checkpoint';
import { auditHash, auditMac, GENESIS } from './hash';
import { auditKeyring, type AuditKeyring } from './keyring';

/** Rows older than this that no checkpoint covers mean checkpoints stopped (three missed 5-minute runs) or the anchor was removed. */
export const CHECKPOINT_OVERDUE_MS = 15 * 60_000;

/**
 * Why the newest checkpoint cannot vouch for the trail: rows appended after it (or any row, when
 * there is none) have waited longer than CHECKPOINT_OVERDUE_MS for one. Someone who stops the
 * schedule or deletes the anchor must not leave a trail that verifies whatever was cut.
 */
export async function checkpointOverdue(
  db: Queryable,
  checkpoint: AuditCheckpoint | null,
  now = new Date(),
): Promise<AuditBreak | null> {
  const [oldest] = (await db.query(
    'SELECT id::text AS id, at FROM audit_events WHERE id > $1 ORDER BY audit_events.id LIMIT 1',
    [checkpoint?.lastId ?? '0'],
  )) as {
    id: string;
    at: Date;
  }[];
  if (!oldest || now.getTime() - new Date(oldest.at).getTime() <= CHECKPOINT_OVERDUE_MS) return null;
  return checkpoint
    ? {
        code: 'checkpoint_overdue',
        reason: `no checkpoint since ${checkpoint.at}, though rows have waited over ${CHECKPOINT_OVERDUE_MS / 60_000} minutes for one`,
        brokenAtId: oldest.id,
      }
    : {
        code: 'checkpoint_missing',
        reason: `the trail has rows older than ${CHECKPOINT_OVERDUE_MS / 60_000} minutes and no checkpoint outside Postgres (the anchor is missing)`,
        brokenAtId: oldest.id,
      };
}

/** Why the trail cannot be trusted: a stable code, a sentence, and the row where it shows (if any). */
export interface AuditBreak {
  code:
    | 'link_broken'
    | 'row_altered'
    | 'unknown_key'
    | 'unkeyed_row'
    | 'checkpoint_signature_invalid'
    | 'checkpoint_row_missing'
    | 'checkpoint_count_mismatch'
    | 'checkpoint_head_mismatch'
    | 'chain_ends_before_checkpoint'
    | 'checkpoint_overdue'
    | 'checkpoint_missing';
  reason: string;
  brokenAtId: string | null;
}

/**
 * Walks the chain; returns the first thing that does not hold, or null when the chain is intact
 * and (given one) reaches the checkpoint: the row at its lastId exists, is the count-th row, and
 * carries its headMac. So removing rows up to the checkpoint (a truncation, a cut tail), or
 * rewriting any of them and re-linking the rest, shows, even done by someone able to bypass the
 * triggers. Keyed rows are checked with the key named by their key_id; rows from before the chain
 * was keyed (key_id NULL) with SHA-256, and only before the first keyed row.
 *
 * The trail is kept for ever, so it is read a page at a time, in id order (the chain's order:
 * appends hold the chain's lock until they commit), carrying the last hash from page to page, and
 * the event loop gets a turn between pages: memory stays flat and the API keeps answering.
 */
export async function verifyAuditChain(
  manager: Queryable,
  opts: { pageSize?: number; keyring?: AuditKeyring; checkpoint?: AuditCheckpoint | null } = {},
): Promise<AuditBreak | null> {
  const pageSize = opts.pageSize ?? 2_000;
  const ring = opts.keyring ?? auditKeyring(config());
  const cp = opts.checkpoint ?? null;
  if (cp && !auditCheckpointSigned(ring, cp)) {
    return {
      code: 'checkpoint_signature_invalid',
      reason: 'the checkpoint is not signed by a known audit key',
      brokenAtId: null,
    };
  }
  const walk: ChainWalk = {
    ring,
    cp,
    cpId: cp ? BigInt(cp.lastId) : null,
    reached: cp === null || cp.count === 0,
    prev: GENESIS,
    keyed: false,
    seen: 0,
  };
  let after = '0';
  for (;;) {
    const rows = (await manager.query('SELECT * FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2', [
      after,
      pageSize,
    ])) as AuditRow[];
    for (const r of rows) {
      const broken = walkRow(walk, r);
      if (broken) return broken;
    }
    if (rows.length < pageSize) break;
    after = String(rows[rows.length - 1].id);
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (!walk.reached) {
    return {
      code: 'chain_ends_before_checkpoint',
      reason: `the chain ends before row ${cp!.lastId}, its head at the newest checkpoint: rows were removed`,
      brokenAtId: cp!.lastId,
    };
  }
  return null;
}

type AuditRow = {
  id: string;
  at: Date;
  actor_sub: string;
  actor_role: string;
  action: string;
  target_type: string;
  target_id: string | null;
  details: unknown;
  prev_hash: string;
  hash: string;
  key_id?: string | null;
};

/** How far the walk along the chain has come: carried from row to row and from page to page. */
interface ChainWalk {
  ring: AuditKeyring;
  cp: AuditCheckpoint | null;
  cpId: bigint | null;
  /** The checkpoint's head has been passed and matched (or there is nothing to reach). */
  reached: boolean;
  /** The previous row's hash. */
  prev: string;
  /** A keyed row has been seen: unkeyed rows may no longer follow. */
  keyed: boolean;
  seen: number;
}

/** Checks the next row and moves the walk past it; the break it shows, or null. */
function walkRow(walk: ChainWalk, r: AuditRow): AuditBreak | null {
  const id = String(r.id);
  const { cp } = walk;
  if (cp && !walk.reached && BigInt(id) > walk.cpId!) {
    return {
      code: 'checkpoint_row_missing',
      reason: `row ${cp.lastId}, the chain's head at the newest checkpoint, is gone`,
      brokenAtId: cp.lastId,
    };
  }
  const broken = brokenLink(walk, r, id);
  if (broken) return broken;
  walk.prev = r.hash;
  walk.seen++;
  return cp && !walk.reached && id === cp.lastId ? checkpointHeadBreak(walk, cp, r, id) : null;
}

/** Whether the row links to the previous one and its hash covers its content, under its own key. */
function brokenLink(walk: ChainWalk, r: AuditRow, id: string): AuditBreak | null {
  const keyId = r.key_id ?? null;
  if (keyId === null && walk.keyed)
    return { code: 'unkeyed_row', reason: 'an unkeyed row follows keyed rows', brokenAtId: id };
  if (r.prev_hash !== walk.prev)
    return { code: 'link_broken', reason: 'prev_hash does not match the previous row', brokenAtId: id };
  const fields = {
    at: new Date(r.at).toISOString(),
    actorSub: r.actor_sub,
    actorRole: r.actor_role,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    details: r.details,
  };
  let expected: string;
  if (keyId === null) {
    expected = auditHash(walk.prev, fields);
  } else {
    const key = walk.ring.keys.get(keyId);
    if (!key)
      return {
        code: 'unknown_key',
        reason: `the row is chained with audit key ${keyId}, which is not configured (AUDIT_KEY_ID, AUDIT_OLD_KEYS)`,
        brokenAtId: id,
      };
    walk.keyed = true;
    expected = auditMac(key, walk.prev, fields);
  }
  if (expected !== r.hash)
    return { code: 'row_altered', reason: 'row content does not match its hash', brokenAtId: id };
  return null;
}

/** At the checkpoint's head: it must be the count-th row and carry the signed MAC. */
function checkpointHeadBreak(walk: ChainWalk, cp: AuditCheckpoint, r: AuditRow, id: string): AuditBreak | null {
  if (walk.seen !== cp.count) {
    return {
      code: 'checkpoint_count_mismatch',
      reason: `${walk.seen} rows up to the checkpoint's head, where the checkpoint counted ${cp.count}`,
      brokenAtId: id,
    };
  }
  if (r.hash !== cp.headMac)
    return {
      code: 'checkpoint_head_mismatch',
      reason: "the row at the checkpoint's head is not the one the checkpoint signed",
      brokenAtId: id,
    };
  walk.reached = true;
  return null;
}
