import type { DataSource } from 'typeorm';
import { rewrapDataKey, type MasterKeyring } from '../crypto';

/**
 * Master-key rotation without downtime: while MASTER_OLD_KEYS still holds the old key, every process
 * can read both; this re-wraps each lead's data key under the current master key, in small
 * transactions, skipping keys already done (optionally only some cases). The sealed identities are never decrypted.
 */
export async function rotateMasterKey(
  db: DataSource,
  ring: MasterKeyring,
  opts: { batchSize?: number; caseIds?: string[] } = {},
): Promise<{ rewrapped: number }> {
  const batchSize = opts.batchSize ?? 500;
  let rewrapped = 0;
  for (;;) {
    const done = await db.transaction(async (m) => {
      const rows: { case_id: string; master_key_id: string; wrapped_key: Buffer }[] = await m.query(
        `SELECT case_id, master_key_id, wrapped_key FROM lead_data_keys WHERE master_key_id <> $1 ${opts.caseIds ? 'AND case_id = ANY($3)' : ''}
          LIMIT $2 FOR UPDATE SKIP LOCKED`,
        opts.caseIds ? [ring.currentId, batchSize, opts.caseIds] : [ring.currentId, batchSize],
      );
      for (const row of rows) {
        const wrapped = rewrapDataKey(row.case_id, row.wrapped_key, row.master_key_id, ring);
        await m.query('UPDATE lead_data_keys SET wrapped_key = $2, master_key_id = $3 WHERE case_id = $1', [
          row.case_id,
          wrapped,
          ring.currentId,
        ]);
      }
      return rows.length;
    });
    rewrapped += done;
    if (done < batchSize) return { rewrapped };
  }
}
