import type { EntityManager } from 'typeorm';

// The SQL of channel partners' API keys; ../service/api-keys.ts holds the checks and the audit.

type Queryable = Pick<EntityManager, 'query'>;

/** A key as admins see it (never the secret or its hash), its times as the database returns them. */
export type ApiKeyRow = Record<string, unknown>;

const VIEW = `key_id AS "keyId", channel_id AS "channelId", label,
  CASE WHEN revoked_at IS NULL THEN 'active' WHEN revoked_at > now() THEN 'expiring' ELSE 'revoked' END AS state,
  created_at AS "createdAt", created_by AS "createdBy", revoked_at AS "revokedAt", revoked_by AS "revokedBy",
  revoke_reason AS reason, replaced_by AS "replacedBy"`;

export async function channelExists(m: Queryable, channelId: string): Promise<boolean> {
  const [channel] = await m.query('SELECT 1 FROM channels WHERE id = $1', [channelId]);
  return Boolean(channel);
}

export async function insertApiKey(
  m: Queryable,
  k: { keyId: string; channelId: string; label: string; secretHash: string; createdBy: string },
): Promise<void> {
  await m.query(
    'INSERT INTO channel_api_keys (key_id, channel_id, label, secret_hash, created_by) VALUES ($1,$2,$3,$4,$5)',
    [k.keyId, k.channelId, k.label, k.secretHash, k.createdBy],
  );
}

/** The channel's keys, oldest first. */
export async function findApiKeys(db: Queryable, channelId: string): Promise<ApiKeyRow[]> {
  return db.query(`SELECT ${VIEW} FROM channel_api_keys WHERE channel_id = $1 ORDER BY created_at, key_id`, [
    channelId,
  ]);
}

/** The channel's key, locked for the rest of the transaction, or undefined. */
export async function lockApiKey(m: Queryable, channelId: string, keyId: string): Promise<ApiKeyRow | undefined> {
  const [row] = await m.query(`SELECT ${VIEW} FROM channel_api_keys WHERE key_id = $1 AND channel_id = $2 FOR UPDATE`, [
    keyId,
    channelId,
  ]);
  return row;
}

export async function findApiKey(m: Queryable, keyId: string): Promise<ApiKeyRow> {
  const [row] = await m.query(`SELECT ${VIEW} FROM channel_api_keys WHERE key_id = $1`, [keyId]);
  return row;
}

/**
 * When a revocation asked for `at` takes effect (now at the earliest, by the database's clock), and
 * whether that is later than the revocation already set.
 */
export async function revocationTime(
  m: Queryable,
  at: Date | null,
  revokedAt: string | null,
): Promise<{ revokedAt: Date; later: boolean | null }> {
  const [row] = await m.query(
    `SELECT GREATEST(now(), $1::timestamptz) AS "revokedAt", GREATEST(now(), $1::timestamptz) > $2::timestamptz AS later`,
    [at, revokedAt],
  );
  return row;
}

export async function revokeApiKeyAt(
  m: Queryable,
  r: { keyId: string; revokedAt: Date; revokedBy: string; reason: string },
): Promise<void> {
  await m.query('UPDATE channel_api_keys SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE key_id = $1', [
    r.keyId,
    r.revokedAt,
    r.revokedBy,
    r.reason,
  ]);
}

/** Sets a rotated key to stop `overlapHours` from now, replaced by `replacedBy`. */
export async function revokeReplacedApiKey(
  m: Queryable,
  r: { keyId: string; overlapHours: number; revokedBy: string; reason: string; replacedBy: string },
): Promise<void> {
  await m.query(
    `UPDATE channel_api_keys SET revoked_at = now() + make_interval(hours => $2), revoked_by = $3, revoke_reason = $4, replaced_by = $5 WHERE key_id = $1`,
    [r.keyId, r.overlapHours, r.revokedBy, r.reason, r.replacedBy],
  );
}
