import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { LeadCase } from './entities/lead-case';
import { CreditFacts, Identity, LeadDataKey } from './entities/identity';
import { BlacklistEntry, Broker, Channel, Lender, LenderApplication, Product } from './entities/reference';
import {
  AuditEvent,
  ConsentNotice,
  ConsentRecord,
  ContactAttempt,
  DecisionRecord,
  ErasureRecord,
  IdempotencyKey,
  LegalHoldEvent,
  LeadIntake,
  Notification,
} from './entities/records';
import { InitialSchema1763800000000 } from './migrations/1763800000000-initial-schema';
import { ChannelApiKeys1763900000000 } from './migrations/1763900000000-channel-api-keys';
import { ChannelApiKey } from './entities/channel-api-key';
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
import { Complaints1764200000000 } from './migrations/1764200000000-complaints';
import { Complaint, ComplaintDataKey, ComplaintEvent } from './entities/complaint';
import { ChannelReviews1764100000000 } from './migrations/1764100000000-channel-reviews';
import { ChannelGrading, LoanPerformance } from './entities/channel-records';

export const entities = [
  LeadCase, Identity, LeadDataKey, CreditFacts, Lender, Product, Channel, Broker, BlacklistEntry,
  LenderApplication, ConsentNotice, ConsentRecord, DecisionRecord, ContactAttempt, Notification,
  AuditEvent, IdempotencyKey, LeadIntake, ErasureRecord, LegalHoldEvent, ChannelApiKey, Complaint, ComplaintDataKey, ComplaintEvent, LoanPerformance, ChannelGrading,
];
export const migrations = [InitialSchema1763800000000, ChannelApiKeys1763900000000, AppendOnlyConsents1764000000000, ChannelReviews1764100000000, Complaints1764200000000, AuditAppend1764300000000, AuditAppendMany1764400000000, ApiKeyRevocation1764500000000, ComplaintLegalHold1764600000000, ScrubStoredApiKeys1764700000000, IdempotencyKeysAge1764800000000, LenderApplicationsUnique1764900000000, LegalHoldEvents1765000000000, EraseCasesFunction1765100000000, PostLoanCheckIns1765200000000, NotificationRetrySchedule1765300000000];

/** A DataSource for the given database. Schema changes only ever come from migrations. */
export function createDataSource(url: string, poolMax = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: poolMax, connectionTimeoutMillis: 5_000 },
  });
}

/** Opens the connection pool and applies any pending migrations. */
export async function openDatabase(url: string, opts: { migrate?: boolean; poolMax?: number } = {}): Promise<DataSource> {
  const ds = createDataSource(url, opts.poolMax);
  await ds.initialize();
  if (opts.migrate) await ds.runMigrations();
  return ds;
}
