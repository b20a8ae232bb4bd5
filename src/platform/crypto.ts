import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Envelope encryption for personal data: each lead gets its own random AES-256 data key that
 * seals its identity; the data key is stored wrapped (AES-256-GCM) by a master key named by ID.
 * Destroying a lead's wrapped data key makes every copy of its identity unreadable.
 */
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function seal(plaintext: Buffer, key: Buffer, aad?: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  if (aad) cipher.setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function open(sealed: Buffer, key: Buffer, aad?: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value is too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  if (aad) decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}

export interface MasterKeyring {
  currentId: string;
  keys: Record<string, Buffer>;
}

/**
 * A keyring: the current key, plus retired ones (`id:base64,…`) that still open what they sealed.
 * Used for the master key (data keys) and the payload codec alike.
 */
export function keyringFrom(currentId: string, currentKeyBase64: string, oldKeys = ''): MasterKeyring {
  const keys: Record<string, Buffer> = {};
  for (const pair of oldKeys
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [id, key] = pair.split(':');
    keys[id] = Buffer.from(key, 'base64');
  }
  keys[currentId] = Buffer.from(currentKeyBase64, 'base64');
  return { currentId, keys };
}

/** Re-wraps one data key under the current master key (rotation); the sealed identity is untouched. */
export function rewrapDataKey(caseId: string, wrappedKey: Buffer, masterKeyId: string, ring: MasterKeyring): Buffer {
  const old = ring.keys[masterKeyId];
  if (!old) throw new Error(`master key ${masterKeyId} is not in the keyring`);
  const dataKey = open(wrappedKey, old, `${caseId}:${masterKeyId}`);
  return seal(dataKey, ring.keys[ring.currentId], `${caseId}:${ring.currentId}`);
}

/** Seals a JSON value under a new data key bound to `caseId`; returns the sealed value and the wrapped key. */
export function sealForCase(caseId: string, value: unknown, ring: MasterKeyring) {
  const dataKey = randomBytes(32);
  const sealed = seal(Buffer.from(JSON.stringify(value)), dataKey, caseId);
  const wrappedKey = seal(dataKey, ring.keys[ring.currentId], `${caseId}:${ring.currentId}`);
  return { sealed, wrappedKey, masterKeyId: ring.currentId };
}

export function openForCase<T>(
  caseId: string,
  sealed: Buffer,
  wrappedKey: Buffer,
  masterKeyId: string,
  ring: MasterKeyring,
): T {
  const master = ring.keys[masterKeyId];
  if (!master) throw new Error(`master key ${masterKeyId} is not in the keyring`);
  const dataKey = open(wrappedKey, master, `${caseId}:${masterKeyId}`);
  return JSON.parse(open(sealed, dataKey, caseId).toString('utf8')) as T;
}

/**
 * Keyed blind index: finds equal values (the same ID number or phone) without storing or
 * decrypting them. A plain hash would not do: an ID number's space is small enough to enumerate.
 */
export function blindIndex(kind: 'id' | 'phone' | 'device', normalizedValue: string, key: Buffer): string {
  return createHmac('sha256', key).update(`${kind}:${normalizedValue}`).digest('base64url');
}
