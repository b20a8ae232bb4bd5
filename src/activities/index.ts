import type { DataSource } from 'typeorm';
import type { Policy } from '../config/policy';
import { createLeadActivities } from './lead-activities';
import { createMaintenanceActivities } from './maintenance-activities';
import { createComplaintActivities } from './complaint-activities';
import { createChannelActivities } from './channel-activities';

/** Every activity the worker registers, wired to its dependencies. */
export function createActivities(deps: { db: DataSource; policy: Policy }) {
  return { ...createLeadActivities(deps), ...createComplaintActivities(deps), ...createMaintenanceActivities(deps), ...createChannelActivities(deps) };
}
