import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import {
  checkpointNoLongerReached,
  takeAuditCheckpoint,
  type AuditCheckpoint,
} from '../../../platform/audit/checkpoint';
import type { AuditKeyring } from '../../../platform/audit/keyring';
import { checkpointOverdue, verifyAuditChain } from '../../../platform/audit/verify';
import { NEWEST_CHECKPOINT_MEMO, recordAuditCheckpointUpdate } from '../workflow';

/**
 * The anchor workflow of the chain in this database, one per task queue: the workers of a queue are
 * the ones that run it (in production the queue is `lead-cases`, so the ID is fixed).
 */
export const auditAnchorId = (taskQueue: string) => `audit-anchor-${taskQueue}`;

/** How long a call to the anchor may take: with no worker on its queue an Update would wait for ever. */
const ANCHOR_DEADLINE_MS = 15_000;

/** Records a checkpoint in the anchor (starting the anchor if it is not running) and answers it once recorded. */
export async function recordAuditCheckpoint(
  client: Client,
  taskQueue: string,
  checkpoint: AuditCheckpoint,
): Promise<AuditCheckpoint> {
  const startWorkflowOperation = new WithStartWorkflowOperation('auditAnchor', {
    workflowId: auditAnchorId(taskQueue),
    taskQueue,
    args: [{}],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Audit chain anchor: signed checkpoints of the chain head, kept outside Postgres',
  });
  return client.withDeadline(Date.now() + ANCHOR_DEADLINE_MS, () =>
    client.workflow.executeUpdateWithStart(recordAuditCheckpointUpdate, { args: [checkpoint], startWorkflowOperation }),
  );
}

/**
 * The newest checkpoint the anchor holds, from its memo (no worker needed to answer), or null when
 * no checkpoint was ever taken.
 */
export async function newestAuditCheckpoint(client: Client, taskQueue: string): Promise<AuditCheckpoint | null> {
  try {
    const d = await client.withDeadline(Date.now() + ANCHOR_DEADLINE_MS, () =>
      client.workflow.getHandle(auditAnchorId(taskQueue)).describe(),
    );
    return (d.memo?.[NEWEST_CHECKPOINT_MEMO] as AuditCheckpoint | undefined) ?? null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** The chain no longer reaches the newest checkpoint: no new one is signed over the cut. */
export class AuditChainCutError extends Error {
  override name = 'AuditChainCutError';
}

/**
 * Takes a checkpoint of the chain's head and records it in the anchor, but only over a chain that
 * still reaches the newest checkpoint already there: a later checkpoint would otherwise vouch for a
 * cut made before the earlier one.
 */
export async function checkpointTheChain(
  db: DataSource,
  ring: AuditKeyring,
  client: Client,
  taskQueue: string,
): Promise<AuditCheckpoint> {
  const previous = await newestAuditCheckpoint(client, taskQueue);
  const cut = previous ? await checkpointNoLongerReached(db, previous) : null;
  if (cut) throw new AuditChainCutError(`the audit trail no longer reaches its newest checkpoint: ${cut}`);
  return recordAuditCheckpoint(client, taskQueue, await takeAuditCheckpoint(db, ring));
}

/** Why the chain is not intact (altered, cut, or waiting too long for a checkpoint), or null when it is. */
export async function findAuditChainBreak(db: DataSource, ring: AuditKeyring, checkpoint: AuditCheckpoint | null) {
  return (
    (await verifyAuditChain(db.manager, { keyring: ring, checkpoint })) ?? (await checkpointOverdue(db, checkpoint))
  );
}
