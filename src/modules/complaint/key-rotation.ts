import type { DataSource } from 'typeorm';
import { rewrapComplaintDataKey } from './crypto';
import type { MasterKeyring } from '../../platform/crypto';

/**
 * Master-key rotation for the complaints that have a data key of their own (no case, or a case
 * already erased; a complaint sealed under its case's key rotates with the case). Re-wraps each
 * such key under the current master key in small transactions, skipping those already done; the
 * sealed text is never opened. Safe to re-run. `npm run rotate:master-key` must run it beside
 * rotateMasterKey (src/platform/db/rotate-master-key.ts) before an old master key is dropped.
 */
export async function rotateComplaintDataKeys(
  db: DataSource,
  ring: MasterKeyring,
  batchSize = 500,
): Promise<{ rewrapped: number; left: number }> {
  let rewrapped = 0;
  for (;;) {
    const done = await db.transaction(async (m) => {
      const rows: { complaint_id: string; master_key_id: string; wrapped_key: Buffer }[] = await m.query(
        'SELECT complaint_id, master_key_id, wrapped_key FROM complaint_data_keys WHERE master_key_id <> $1 LIMIT $2 FOR UPDATE SKIP LOCKED',
        [ring.currentId, batchSize],
      );
      for (const row of rows) {
        const wrapped = rewrapComplaintDataKey(row.complaint_id, row.wrapped_key, row.master_key_id, ring);
        await m.query('UPDATE complaint_data_keys SET wrapped_key = $2, master_key_id = $3 WHERE complaint_id = $1', [
          row.complaint_id,
          wrapped,
          ring.currentId,
        ]);
      }
      return rows.length;
    });
    rewrapped += done;
    if (done < batchSize) break;
  }
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM complaint_data_keys WHERE master_key_id <> $1', [
    ring.currentId,
  ]);
  return { rewrapped, left: n };
}
