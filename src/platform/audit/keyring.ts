import { createHash } from 'node:crypto';

/** The audit keys: the current one, which chains new rows, and every one that still verifies old rows. */
export interface AuditKeyring {
  currentId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export function auditKeyring(cfg: { AUDIT_KEY: string; AUDIT_KEY_ID: string; AUDIT_OLD_KEYS: string }): AuditKeyring {
  const keys = new Map<string, Buffer>();
  for (const pair of cfg.AUDIT_OLD_KEYS ? cfg.AUDIT_OLD_KEYS.split(',') : []) {
    const at = pair.indexOf(':');
    keys.set(pair.slice(0, at), Buffer.from(pair.slice(at + 1), 'base64'));
  }
  keys.set(cfg.AUDIT_KEY_ID, Buffer.from(cfg.AUDIT_KEY, 'base64'));
  return { currentId: cfg.AUDIT_KEY_ID, keys };
}

/**
 * The libpq `options` that give a connection the current audit key for audit_append: HMAC's inner
 * and outer pads (equivalent to the key; they spare Postgres the XOR) and the key's ID. They live
 * in the session's memory only, never in a table, a setting file or a statement's text.
 */
export function auditConnectionOptions(ring: AuditKeyring): string {
  const key = ring.keys.get(ring.currentId)!;
  const block = Buffer.alloc(64);
  (key.length > 64 ? createHash('sha256').update(key).digest() : key).copy(block);
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte));
  return `-c lead_audit.pads=${Buffer.concat([pad(0x36), pad(0x5c)]).toString('hex')} -c lead_audit.key_id=${ring.currentId}`;
}
