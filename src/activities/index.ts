import type { DataSource } from 'typeorm';
import type { Policy } from '../config/policy';
import { createLeadActivities } from './lead-activities';
import { createMaintenanceActivities } from './maintenance-activities';
import type { SweepOptions } from './retention-sweep';
import { createComplaintActivities } from './complaint-activities';
import { createChannelActivities } from './channel-activities';
import { createAuditActivities } from './audit-activities';
import type { AuditKeyring } from '../db/audit';

/** Every activity the worker registers, wired to its dependencies. */
export function createActivities(deps: {
  db: DataSource;
  policy: Policy;
  leadTaskQueue?: string;
  sweep?: SweepOptions;
  auditKeyring?: AuditKeyring;
}) {
  return {
    ...createLeadActivities(deps),
    ...createComplaintActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createChannelActivities(deps),
    ...createAuditActivities({ db: deps.db, keyring: deps.auditKeyring, leadTaskQueue: deps.leadTaskQueue }),
  };
}
