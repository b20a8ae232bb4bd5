import type { DataSource } from 'typeorm';
import type { Policy } from '../platform/config/policy';
import { createLeadActivities } from '../modules/lead/activities/case';
import { createMaintenanceActivities } from '../modules/maintenance/activities';
import type { SweepOptions } from '../modules/maintenance/sweep-run';
import { createComplaintActivities } from '../modules/complaint/activities';
import { createChannelActivities } from '../modules/channel/activities';
import { createAuditActivities } from '../modules/audit/activities';
import type { AuditKeyring } from '../platform/audit/keyring';

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
