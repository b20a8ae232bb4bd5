import { config } from '../config';
import { openDatabase } from './data-source';

/** `npm run migrate`: applies pending migrations to DATABASE_URL. */
async function main() {
  const db = await openDatabase(config().DATABASE_URL);
  const applied = await db.runMigrations();
  console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'schema is up to date');
  await db.destroy();
}
main().catch((err) => {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exit(1);
});
