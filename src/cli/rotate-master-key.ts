import { config } from '../platform/config';
import { keyringFrom } from '../platform/crypto';
import { openDatabase } from '../platform/db/data-source';
import { rotateComplaintDataKeys } from '../modules/complaint/key-rotation';
import { rotateMasterKey } from '../platform/db/rotate-master-key';

/**
 * `npm run rotate:master-key`: 1) deploy with the new MASTER_KEY / MASTER_KEY_ID and the old key in
 * MASTER_OLD_KEYS; 2) run this; 3) remove the old key from MASTER_OLD_KEYS.
 */
async function main() {
  const cfg = config();
  const db = await openDatabase(cfg.DATABASE_URL);
  const ring = keyringFrom(cfg.MASTER_KEY_ID, cfg.MASTER_KEY, cfg.MASTER_OLD_KEYS);
  const { rewrapped } = await rotateMasterKey(db, ring);
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM lead_data_keys WHERE master_key_id <> $1', [
    cfg.MASTER_KEY_ID,
  ]);
  console.log(`re-wrapped ${rewrapped} case data key(s) under ${cfg.MASTER_KEY_ID}; ${n} left under other keys`);
  // Complaints with no case (or whose case is erased) have keys of their own.
  const complaints = await rotateComplaintDataKeys(db, ring);
  console.log(
    `re-wrapped ${complaints.rewrapped} complaint data key(s) under ${cfg.MASTER_KEY_ID}; ${complaints.left} left under other keys`,
  );
  await db.destroy();
  process.exit(n === 0 && complaints.left === 0 ? 0 : 1);
}
main().catch((err) => {
  console.error(`rotation failed: ${(err as Error).message}`);
  process.exit(1);
});
