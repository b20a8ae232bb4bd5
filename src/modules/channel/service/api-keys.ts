import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { appendAudit } from '../../../platform/audit/log';
import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import {
  channelExists,
  findApiKey,
  findApiKeys,
  insertApiKey,
  lockApiKey,
  revocationTime,
  revokeApiKeyAt,
  revokeReplacedApiKey,
} from '../repository/api-keys';

/**
 * Channel partners' API keys: issued (the secret is shown once and only its hash is kept), listed,
 * revoked now or at a set time, and rotated: a new key is issued and the old one keeps working for
 * an overlap, so the partner can switch without a gap. Every change is audited in its transaction.
 */

/** A key as admins see it; never the secret or its hash. */
export interface ApiKeyView {
  keyId: string;
  channelId: string;
  label: string;
  /** `expiring`: revoked at a time still ahead (a rotation's overlap). */
  state: 'active' | 'expiring' | 'revoked';
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
  reason: string | null;
  replacedBy: string | null;
}

export interface IssuedApiKey {
  keyId: string;
  channelId: string;
  label: string;
  apiKey: string;
  note: string;
}

const asView = (row: Record<string, unknown>): ApiKeyView => ({
  ...(row as unknown as ApiKeyView),
  createdAt: new Date(row.createdAt as string).toISOString(),
  revokedAt: row.revokedAt ? new Date(row.revokedAt as string).toISOString() : null,
});

/** A new key `lck_<keyId>.<secret>`, the form the API's authenticator parses; only the secret's hash is stored. */
function newApiKey(): { keyId: string; key: string; secretHash: string } {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { keyId, key: `lck_${keyId}.${secret}`, secretHash: createHash('sha256').update(secret).digest('hex') };
}

async function assertChannel(m: EntityManager, channelId: string): Promise<void> {
  if (!(await channelExists(m, channelId)))
    throw new DomainError('channel_not_found', `channel ${channelId} was not found`);
}

async function insertKey(
  m: EntityManager,
  actor: Actor,
  channelId: string,
  label: string,
  replaces?: string,
): Promise<IssuedApiKey> {
  const key = newApiKey();
  await insertApiKey(m, { keyId: key.keyId, channelId, label, secretHash: key.secretHash, createdBy: actor.sub });
  await appendAudit(m, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'channel.api_key_issued',
    targetType: 'channel',
    targetId: channelId,
    details: replaces ? { keyId: key.keyId, replaces } : { keyId: key.keyId },
  });
  return { keyId: key.keyId, channelId, label, apiKey: key.key, note: 'shown once: store it now' };
}

export async function issueApiKey(
  db: DataSource,
  actor: Actor,
  channelId: string,
  label: string,
): Promise<IssuedApiKey> {
  return db.transaction(async (m) => {
    await assertChannel(m, channelId);
    return insertKey(m, actor, channelId, label);
  });
}

export async function listApiKeys(db: DataSource, channelId: string): Promise<{ items: ApiKeyView[] }> {
  await assertChannel(db.manager, channelId);
  const rows = await findApiKeys(db, channelId);
  return { items: rows.map(asView) };
}

/** The key, locked for the rest of the transaction; `api_key_not_found` unless it belongs to this channel. */
async function lockKey(m: EntityManager, channelId: string, keyId: string): Promise<ApiKeyView> {
  await assertChannel(m, channelId);
  const row = await lockApiKey(m, channelId, keyId);
  if (!row) throw new DomainError('api_key_not_found', `channel ${channelId} has no API key ${keyId}`);
  return asView(row);
}

async function keyView(m: EntityManager, keyId: string): Promise<ApiKeyView> {
  return asView(await findApiKey(m, keyId));
}

/**
 * Revokes a key now, or at `at` (a time in the past means now). A revocation already set may be
 * brought forward, never put off: a key someone meant to stop must not live longer by mistake.
 */
export async function revokeApiKey(
  db: DataSource,
  actor: Actor,
  channelId: string,
  keyId: string,
  input: { reason: string; at?: Date },
): Promise<ApiKeyView> {
  return db.transaction(async (m) => {
    const key = await lockKey(m, channelId, keyId);
    if (key.state === 'revoked') throw new DomainError('api_key_revoked', `API key ${keyId} is already revoked`);
    const { revokedAt, later } = await revocationTime(m, input.at ?? null, key.revokedAt);
    if (later === true) {
      throw new DomainError(
        'revocation_would_extend',
        `API key ${keyId} is already revoked from ${key.revokedAt}; a revocation can be brought forward, not put off`,
      );
    }
    await revokeApiKeyAt(m, { keyId, revokedAt, revokedBy: actor.sub, reason: input.reason });
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'channel.api_key_revoked',
      targetType: 'channel',
      targetId: channelId,
      details: { keyId, revokedAt: new Date(revokedAt).toISOString() },
    });
    return keyView(m, keyId);
  });
}

/** Issues a new key in an active key's place; the old one stops working after `overlapHours`. */
export async function rotateApiKey(
  db: DataSource,
  actor: Actor,
  channelId: string,
  keyId: string,
  input: { reason: string; overlapHours: number; label?: string },
): Promise<IssuedApiKey & { replaced: ApiKeyView }> {
  return db.transaction(async (m) => {
    const old = await lockKey(m, channelId, keyId);
    if (old.state !== 'active')
      throw new DomainError(
        'api_key_revoked',
        `API key ${keyId} is ${old.state === 'expiring' ? 'already being replaced' : 'revoked'}; rotate an active key`,
      );
    const issued = await insertKey(m, actor, channelId, input.label ?? old.label, keyId);
    await revokeReplacedApiKey(m, {
      keyId,
      overlapHours: input.overlapHours,
      revokedBy: actor.sub,
      reason: input.reason,
      replacedBy: issued.keyId,
    });
    const replaced = await keyView(m, keyId);
    await appendAudit(m, {
      actorSub: actor.sub,
      actorRole: actor.role,
      action: 'channel.api_key_rotated',
      targetType: 'channel',
      targetId: channelId,
      details: { keyId, replacedBy: issued.keyId, revokedAt: replaced.revokedAt },
    });
    return { ...issued, replaced };
  });
}
