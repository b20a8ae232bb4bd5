import { config } from '../platform/config';
import { migrateDatabase, openDatabase } from '../platform/db/data-source';
import { seedDemoData } from '../modules/reference/demo-seed';

/** `npm run seed`: migrates (as the owner role) and inserts the [DEMO] reference data once (never overwrites). */
async function main() {
  const cfg = config();
  await migrateDatabase(cfg.DATABASE_MIGRATION_URL ?? cfg.DATABASE_URL, cfg.DATABASE_URL);
  const db = await openDatabase(cfg.DATABASE_URL);
  await seedDemoData(db);
  console.log('demo reference data present');
  await db.destroy();
}
main().catch((err) => {
  console.error(`seed failed: ${(err as Error).message}`);
  process.exit(1);
});
