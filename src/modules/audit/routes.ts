import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Config } from '../../platform/config';
import { auditKeyring } from '../../platform/audit/keyring';
import { DomainError } from '../../platform/domain/errors';
import {
  AuditChainCutError,
  checkpointTheChain,
  findAuditChainBreak,
  newestAuditCheckpoint,
} from './service/checkpoints';
import { listAuditEvents } from './service/trail';
import { anyObject, errors, json, problem } from '../../platform/http/openapi';
import { defineRoute, type Route } from '../../platform/http/route';
import { auditCheckpointSchema, auditQuerySchema, auditVerifySchema } from './schemas';

const anchorUnavailable = problem(
  '`audit_anchor_unavailable`: the anchor (Temporal) cannot be reached; or Postgres unreachable',
);

/** The audit trail, for compliance: read it, prove nobody altered or cut it, and anchor its head now. */
export function auditRoutes(deps: { db: DataSource; temporal: Client; cfg: Config }): Route[] {
  const keyring = auditKeyring(deps.cfg);
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit',
      summary: 'The audit trail',
      roles: ['compliance'],
      request: { query: auditQuerySchema },
      responses: { 200: json(anyObject, 'events, newest first'), ...errors },
      handler: async ({ query: q }, _req, res) => {
        res.json({ items: await listAuditEvents(deps.db, q) });
      },
    }),

    // The chain checked against the newest checkpoint kept outside Postgres, and that checkpoint's
    // age: rows appended after it are covered by the chain only, so a cut there could go unseen.
    defineRoute({
      method: 'get',
      path: '/v1/audit/verify',
      summary: 'Verify the keyed audit chain and that it still reaches the newest checkpoint kept outside Postgres',
      description:
        'A truncation, a cut tail or a rewrite shows. Says how old that checkpoint is, and answers intact: false (checkpoint_overdue, checkpoint_missing) when rows have waited over 15 minutes for one.',
      roles: ['compliance'],
      responses: { 200: json(auditVerifySchema, 'intact, or why not'), ...errors, 503: anchorUnavailable },
      handler: async (_input, _req, res) => {
        const checkpoint = await anchorCall(() => newestAuditCheckpoint(deps.temporal, deps.cfg.TEMPORAL_TASK_QUEUE));
        const broken = await findAuditChainBreak(deps.db, keyring, checkpoint);
        const newest = checkpoint
          ? {
              lastId: Number(checkpoint.lastId),
              count: checkpoint.count,
              at: checkpoint.at,
              keyId: checkpoint.keyId,
              ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(checkpoint.at)) / 1000)),
            }
          : null;
        res.json(
          broken
            ? {
                intact: false,
                code: broken.code,
                reason: broken.reason,
                firstBrokenId: broken.brokenAtId === null ? null : Number(broken.brokenAtId),
                checkpoint: newest,
              }
            : { intact: true, checkpoint: newest },
        );
      },
    }),

    defineRoute({
      method: 'post',
      path: '/v1/audit/checkpoints',
      summary: 'Take a signed checkpoint of the audit chain head now and record it in the anchor outside Postgres',
      roles: ['compliance'],
      responses: {
        201: json(auditCheckpointSchema, 'the checkpoint, recorded'),
        ...errors,
        409: problem(
          '`audit_chain_cut`: the trail no longer reaches the newest checkpoint, so no new one is signed over the cut',
        ),
        503: anchorUnavailable,
      },
      handler: async (_input, _req, res) => {
        const recorded = await anchorCall(() =>
          checkpointTheChain(deps.db, keyring, deps.temporal, deps.cfg.TEMPORAL_TASK_QUEUE),
        );
        res.status(201).json({ ...recorded, lastId: Number(recorded.lastId) });
      },
    }),
  ];
}

/** A call to the audit anchor; an unreachable Temporal is a 503, never an answer about the chain without its anchor. */
async function anchorCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof DomainError) throw err;
    if (err instanceof AuditChainCutError) throw new DomainError('audit_chain_cut', err.message);
    throw new DomainError(
      'audit_anchor_unavailable',
      'the audit anchor (a Temporal workflow) cannot be reached; retry later',
      { retryable: true },
    );
  }
}
