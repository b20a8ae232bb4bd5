import {
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  makeContinueAsNewFunc,
  setHandler,
  upsertMemo,
  workflowInfo,
  setWorkflowOptions,
} from '@temporalio/workflow';
import type { AuditActivities, AuditCheckpoint } from './contract';
import { verifiedActivities } from '../../platform/workflow/verified-activities';

/**
 * The audit chain's anchor outside Postgres: a long-lived workflow whose history records every
 * checkpoint of the chain's head (signed with the audit key) it is given, and whose memo names the
 * newest, so that `GET /v1/audit/verify` can check the chain still reaches it. Someone who can
 * rewrite the database but not this history cannot hide a cut made before the newest checkpoint.
 *
 * The workflow cannot check a signature (the key stays out of Temporal); a forged checkpoint
 * shows up at verification as one no audit key signed. "Newest" is the one with the highest
 * lastId, so a genuine older checkpoint sent again does not move the anchor back.
 */
export const recordAuditCheckpointUpdate = defineUpdate<AuditCheckpoint, [AuditCheckpoint]>('recordAuditCheckpoint');
export const auditCheckpointsQuery = defineQuery<AuditCheckpoint[]>('auditCheckpoints');

/** Checkpoints kept in state (and carried across continue-as-new); older ones stay in earlier runs' histories. */
export const KEPT_CHECKPOINTS = 50;
/** The memo key under which the newest checkpoint is published. */
export const NEWEST_CHECKPOINT_MEMO = 'newestAuditCheckpoint';

export interface AuditAnchorInput {
  checkpoints?: AuditCheckpoint[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Each field of a checkpoint and what its value must be, in the order they are checked. */
const CHECKPOINT_FIELDS: readonly (readonly [keyof AuditCheckpoint, (v: unknown) => boolean])[] = [
  ['lastId', (v) => typeof v === 'string' && /^\d{1,19}$/.test(v)],
  ['count', (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0],
  ['headMac', (v) => typeof v === 'string' && (HEX64.test(v) || v === 'genesis')],
  ['at', (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v))],
  ['keyId', (v) => typeof v === 'string' && /^[A-Za-z0-9_.-]{1,100}$/.test(v)],
  ['signature', (v) => typeof v === 'string' && HEX64.test(v)],
];

/** What is wrong with an update's argument (the first bad field), or null for a well-formed checkpoint. */
function malformed(c: unknown): string | null {
  if (typeof c !== 'object' || c === null) return 'not an object';
  const v = c as Record<string, unknown>;
  return CHECKPOINT_FIELDS.find(([field, valid]) => !valid(v[field]))?.[0] ?? null;
}

/** lastId order (decimal strings of a bigint), then time. */
const older = (a: AuditCheckpoint, b: AuditCheckpoint) =>
  a.lastId.length !== b.lastId.length
    ? a.lastId.length - b.lastId.length
    : a.lastId !== b.lastId
      ? a.lastId < b.lastId
        ? -1
        : 1
      : a.at < b.at
        ? -1
        : a.at > b.at
          ? 1
          : 0;

export async function auditAnchor(input: AuditAnchorInput = {}): Promise<void> {
  const kept: AuditCheckpoint[] = [...(input.checkpoints ?? [])].sort(older).slice(-KEPT_CHECKPOINTS);
  if (kept.length) upsertMemo({ [NEWEST_CHECKPOINT_MEMO]: kept[kept.length - 1] });

  setHandler(
    recordAuditCheckpointUpdate,
    (c) => {
      kept.push({
        lastId: c.lastId,
        count: c.count,
        headMac: c.headMac,
        at: c.at,
        keyId: c.keyId,
        signature: c.signature,
      });
      kept.sort(older);
      kept.splice(0, Math.max(0, kept.length - KEPT_CHECKPOINTS));
      upsertMemo({ [NEWEST_CHECKPOINT_MEMO]: kept[kept.length - 1] });
      return c;
    },
    {
      validator: (c) => {
        const bad = malformed(c);
        if (bad) throw new Error(`not an audit checkpoint (${bad})`);
      },
    },
  );
  setHandler(auditCheckpointsQuery, () => [...kept]);

  // Runs for ever: a fresh run (carrying what it keeps) before the history grows long.
  await condition(() => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 2_000);
  await condition(allHandlersFinished);
  // The next run starts with the memo already set: no moment where the anchor names no checkpoint.
  const memo = kept.length ? { [NEWEST_CHECKPOINT_MEMO]: kept[kept.length - 1] } : undefined;
  await makeContinueAsNewFunc<typeof auditAnchor>({ memo })({ checkpoints: kept });
}

const acts = verifiedActivities<AuditActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** Every few minutes (schedule `audit-checkpoint`): sign the chain's head and record it in the anchor. */
export async function auditCheckpoint(): Promise<AuditCheckpoint> {
  return acts.recordAuditCheckpoint();
}

// Short or self-renewing runs: they move to the current build (docs/versioning.md).
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, auditAnchor);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, auditCheckpoint);
