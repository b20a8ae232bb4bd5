import { Context, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { config } from '../../platform/config';
import { auditKeyring, type AuditKeyring } from '../../platform/audit/keyring';
import { AuditChainCutError, checkpointTheChain } from './service/checkpoints';
import type { AuditActivities } from './contract';

/** The scheduled checkpoint: the chain's head, read and signed here (the key stays in the worker), recorded in the anchor. */
export function createAuditActivities(deps: {
  db: DataSource;
  keyring?: AuditKeyring;
  leadTaskQueue?: string;
}): AuditActivities {
  const keyring = deps.keyring ?? auditKeyring(config());
  const leadTaskQueue = deps.leadTaskQueue ?? config().TEMPORAL_TASK_QUEUE;
  return {
    async recordAuditCheckpoint() {
      try {
        return await checkpointTheChain(deps.db, keyring, Context.current().client, leadTaskQueue);
      } catch (err) {
        if (!(err instanceof AuditChainCutError)) throw err;
        log.error('the audit trail was cut: no checkpoint taken', { reason: err.message });
        throw ApplicationFailure.nonRetryable(err.message, 'audit_chain_cut');
      }
    },
  };
}
