import { config } from '../platform/config';
import { migrateDatabase } from '../platform/db/data-source';

/**
 * `npm run migrate`: applies pending migrations as the owner role (DATABASE_MIGRATION_URL, or
 * DATABASE_URL when unset) and lets DATABASE_URL's role in as the least-privilege application role.
 */
async function main() {
  const cfg = config();
  const { applied, appRole } = await migrateDatabase(cfg.DATABASE_MIGRATION_URL ?? cfg.DATABASE_URL, cfg.DATABASE_URL);
  console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema is up to date');
  if (appRole) console.log(`the service connects as ${appRole}: DML only, no DDL, no TRUNCATE`);
  else
    console.warn(
      "DATABASE_URL names the owner role: set DATABASE_MIGRATION_URL to the owner and DATABASE_URL to a role of the service's own",
    );
}
main().catch((err) => {
  console.error(`migration failed: ${(err as Error).message}`);
  process.exit(1);
});
