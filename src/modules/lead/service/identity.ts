import type { DataSource } from 'typeorm';
import type { Config } from '../../../platform/config';
import { keyringFrom, openForCase } from '../../../platform/crypto';
import { findSealedIdentity } from '../repository/cases';

/** The identity as stored, encrypted, in `identities`. */
export interface StoredIdentity {
  name: string;
  idNumber: string;
  phone: string;
  residenceRegion: string;
  deviceId: string | null;
  ip: string | null;
}

/** The case's identity, opened; null once erased (or never stored). */
export async function loadIdentity(
  deps: { db: DataSource; cfg: Config },
  caseId: string,
): Promise<StoredIdentity | null> {
  const row = await findSealedIdentity(deps.db, caseId);
  if (!row) return null;
  return openForCase<StoredIdentity>(
    caseId,
    row.sealed,
    row.wrapped_key,
    row.master_key_id,
    keyringFrom(deps.cfg.MASTER_KEY_ID, deps.cfg.MASTER_KEY, deps.cfg.MASTER_OLD_KEYS),
  );
}
