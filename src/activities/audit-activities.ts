import { Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import { config } from '../config';
import { auditKeyring, takeAuditCheckpoint, type AuditKeyring } from '../db/audit';
import { recordAuditCheckpoint } from '../services/audit-checkpoints';
import type { AuditActivities } from './audit-contract';

/** The scheduled checkpoint: the chain's head, read and signed here (the key stays in the worker), recorded in the anchor. */
export function createAuditActivities(deps: { db: DataSource; keyring?: AuditKeyring; leadTaskQueue?: string }): AuditActivities {
  const keyring = deps.keyring ?? auditKeyring(config());
  const leadTaskQueue = deps.leadTaskQueue ?? config().TEMPORAL_TASK_QUEUE;
  return {
    async recordAuditCheckpoint() {
      const checkpoint = await takeAuditCheckpoint(deps.db, keyring);
      return recordAuditCheckpoint(Context.current().client, leadTaskQueue, checkpoint);
    },
  };
}
