import { config } from '../config';
import { openDatabase } from './data-source';
import { seedDemoData } from './seed';

/** `npm run seed`: inserts the [DEMO] reference data once (never overwrites). */
async function main() {
  const db = await openDatabase(config().DATABASE_URL, { migrate: true });
  await seedDemoData(db);
  console.log('demo reference data present');
  await db.destroy();
}
main().catch((err) => {
  console.error(`seed failed: ${(err as Error).message}`);
  process.exit(1);
});
