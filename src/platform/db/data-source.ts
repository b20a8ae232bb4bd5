import { DataSource } from 'typeorm';
import { InitialSchema1763800000000 } from './migrations/1763800000000-initial-schema';
import { ChannelApiKeys1763900000000 } from './migrations/1763900000000-channel-api-keys';
import { AppendOnlyConsents1764000000000 } from './migrations/1764000000000-append-only-consents';
import { AuditAppend1764300000000 } from './migrations/1764300000000-audit-append';
import { AuditAppendMany1764400000000 } from './migrations/1764400000000-audit-append-many';
import { ApiKeyRevocation1764500000000 } from './migrations/1764500000000-api-key-revocation';
import { ComplaintLegalHold1764600000000 } from './migrations/1764600000000-complaint-legal-hold';
import { ScrubStoredApiKeys1764700000000 } from './migrations/1764700000000-scrub-stored-api-keys';
import { IdempotencyKeysAge1764800000000 } from './migrations/1764800000000-idempotency-keys-age';
import { LenderApplicationsUnique1764900000000 } from './migrations/1764900000000-lender-applications-unique';
import { LegalHoldEvents1765000000000 } from './migrations/1765000000000-legal-hold-events';
import { EraseCasesFunction1765100000000 } from './migrations/1765100000000-erase-cases-function';
import { PostLoanCheckIns1765200000000 } from './migrations/1765200000000-post-loan-check-ins';
import { NotificationRetrySchedule1765300000000 } from './migrations/1765300000000-notification-retry-schedule';
import {
  APP_GROUP_ROLE,
  LeastPrivilegeKeyedAudit1765450000000,
} from './migrations/1765450000000-least-privilege-keyed-audit';
import { auditConnectionOptions, auditKeyring } from '../audit/keyring';
import { allowsLocalDefaults, config, type Config } from '../config';
import { RetentionBasis1765500000000 } from './migrations/1765500000000-retention-basis';
import { WorkflowRunClaims1765600000000 } from './migrations/1765600000000-workflow-run-claims';
import { LenderListingProductPricing1765700000000 } from './migrations/1765700000000-lender-listing-product-pricing';
import { SharedRateLimits1765730000000 } from './migrations/1765730000000-shared-rate-limits';
import { UndeliveredNotificationsIndex1765730000001 } from './migrations/1765730000001-undelivered-notifications-index';
import { LenderConsentCostAcknowledgements1765740000000 } from './migrations/1765740000000-lender-consent-cost-acknowledgements';
import { Complaints1764200000000 } from './migrations/1764200000000-complaints';
import { ChannelReviews1764100000000 } from './migrations/1764100000000-channel-reviews';

export const migrations = [
  InitialSchema1763800000000,
  ChannelApiKeys1763900000000,
  AppendOnlyConsents1764000000000,
  ChannelReviews1764100000000,
  Complaints1764200000000,
  AuditAppend1764300000000,
  AuditAppendMany1764400000000,
  ApiKeyRevocation1764500000000,
  ComplaintLegalHold1764600000000,
  ScrubStoredApiKeys1764700000000,
  IdempotencyKeysAge1764800000000,
  LenderApplicationsUnique1764900000000,
  LegalHoldEvents1765000000000,
  EraseCasesFunction1765100000000,
  PostLoanCheckIns1765200000000,
  NotificationRetrySchedule1765300000000,
  LeastPrivilegeKeyedAudit1765450000000,
  RetentionBasis1765500000000,
  WorkflowRunClaims1765600000000,
  LenderListingProductPricing1765700000000,
  SharedRateLimits1765730000000,
  UndeliveredNotificationsIndex1765730000001,
  LenderConsentCostAcknowledgements1765740000000,
];

/** The session advisory lock every migration run holds (an arbitrary constant of this service). */
export const MIGRATION_LOCK_KEY = '7316203001';

/**
 * Runs `run` (the migrations) holding the migration lock, a session-level advisory lock on a
 * connection of its own: a second `migrate` started at the same time waits here until the first
 * is done, then finds nothing pending, so each migration is applied once. The pool needs room for
 * one more connection than `run` uses. The lock goes with the session if the process dies.
 */
export async function withMigrationLock<T>(db: DataSource, run: () => Promise<T>): Promise<T> {
  const holder = db.createQueryRunner();
  await holder.connect();
  try {
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    try {
      return await run();
    } finally {
      await holder.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await holder.release();
  }
}

/** The audit key settings a connection needs to append to the audit chain. */
export type AuditKeyConfig = Pick<Config, 'AUDIT_KEY' | 'AUDIT_KEY_ID' | 'AUDIT_OLD_KEYS'>;

/**
 * A DataSource for the given database, for raw SQL and migrations: there are no entities, and the
 * schema is what the migrations make (never synchronised). Each connection carries the current audit
 * key (see `auditConnectionOptions`): the process's configuration unless `audit` names another;
 * `audit: null` for one that never appends (migrations).
 */
export function createDataSource(url: string, poolMax = 10, audit?: AuditKeyConfig | null): DataSource {
  const keys = audit === null ? null : (audit ?? config());
  return new DataSource({
    type: 'postgres',
    url,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: {
      max: poolMax,
      connectionTimeoutMillis: 5_000,
      ...(keys ? { options: auditConnectionOptions(auditKeyring(keys)) } : {}),
    },
  });
}

/**
 * Opens the connection pool and applies any pending migrations. A pool for the service (one that
 * carries the audit key and does not migrate) must log in as a least-privilege role: outside
 * development and test, a superuser or the owner of the tables is refused.
 */
export async function openDatabase(
  url: string,
  opts: { migrate?: boolean; poolMax?: number; audit?: AuditKeyConfig | null } = {},
): Promise<DataSource> {
  const ds = createDataSource(url, opts.poolMax, opts.audit);
  await ds.initialize();
  if (opts.migrate) await withMigrationLock(ds, () => ds.runMigrations());
  if (!opts.migrate && opts.audit !== null && !allowsLocalDefaults(process.env.NODE_ENV)) {
    const problem = await privilegeProblem(ds);
    if (problem) {
      await ds.destroy();
      throw new Error(
        `DATABASE_URL ${problem}: the API and workers need a role of their own with DML only (migrations run as the owner, DATABASE_MIGRATION_URL)`,
      );
    }
  }
  return ds;
}

/** Why the connection's role is more than the service should hold, or null. */
async function privilegeProblem(db: DataSource): Promise<string | null> {
  const [r] = await db.query(
    `SELECT current_user AS name, r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb AS privileged,
            EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace) AS owns,
            -- Rights reached through membership count too: the owner's role, or pg_write_all_data, granted to the login.
            pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'audit_events'::regclass), 'MEMBER') AS owner_member,
            has_table_privilege('audit_events', 'UPDATE') OR has_table_privilege('audit_events', 'DELETE')
              OR has_table_privilege('audit_events', 'TRUNCATE') OR has_table_privilege('audit_events', 'TRIGGER') AS rewrites_trail
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  if (r?.privileged) return `logs in as ${r.name}, which is a superuser or may create roles or databases`;
  if (r?.owns)
    return `logs in as ${r.name}, which owns the tables (and so may alter, truncate and switch off their triggers)`;
  if (r?.owner_member)
    return `logs in as ${r.name}, a member of the tables' owner role (and so may alter them and switch off their triggers)`;
  if (r?.rewrites_trail) return `logs in as ${r.name}, which may update, delete or truncate the audit trail`;
  return null;
}

/**
 * Applies pending migrations as the owner role (`ownerUrl`), under the migration lock, then lets the application's login role
 * (the user of `appUrl`) in as a member of the DML-only group role: created with the URL's password
 * when missing (the owner needs CREATEROLE; on a managed Postgres a DBA may create it instead), and
 * refused if it is a superuser or owns anything. When both URLs name the same role (no
 * DATABASE_MIGRATION_URL), the service runs as the owner: migrations still apply, and the answer says so.
 */
export async function migrateDatabase(
  ownerUrl: string,
  appUrl?: string,
): Promise<{ applied: string[]; appRole: string | null }> {
  // Two connections: one holds the migration lock, the other applies the migrations.
  const db = await openDatabase(ownerUrl, { audit: null, poolMax: 2 });
  try {
    const applied = (await withMigrationLock(db, () => db.runMigrations())).map((m) => m.name);
    const app = appUrl ? new URL(appUrl) : null;
    const user = app ? decodeURIComponent(app.username) : '';
    const [{ owner }] = await db.query('SELECT current_user AS owner');
    if (!app || !user || user === owner) return { applied, appRole: null };
    await ensureAppLogin(db, user, decodeURIComponent(app.password));
    return { applied, appRole: user };
  } finally {
    await db.destroy();
  }
}

async function ensureAppLogin(db: DataSource, user: string, password: string): Promise<void> {
  const [existing] = await db.query(
    `SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolbypassrls OR r.rolreplication AS privileged,
            EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace) AS owns
       FROM pg_roles r WHERE r.rolname = $1`,
    [user],
  );
  if (existing?.privileged || existing?.owns) {
    throw new Error(
      `the application role ${user} (DATABASE_URL) is a superuser, may create roles or databases, or owns tables: give the service a role of its own`,
    );
  }
  if (!existing) {
    const [{ sql }] = await db.query(
      `SELECT format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', $1::text, $2::text) AS sql`,
      [user, password],
    );
    await db.query(sql);
  }
  const [{ grant }] = await db.query(`SELECT format('GRANT ${APP_GROUP_ROLE} TO %I', $1::text) AS grant`, [user]);
  await db.query(grant);
}

/** `url` with another role and password: the application's login on the same server and database. */
export function withRole(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** The application's login role in `npm run dev` and the tests (embedded Postgres, local only). */
export const LOCAL_APP_ROLE = { user: 'lead_api', password: 'lead-api-local-dev-only' } as const;
