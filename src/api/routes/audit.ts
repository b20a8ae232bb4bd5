import { Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Client } from '@temporalio/client';
import type { Config } from '../../config';
import { auditKeyring, checkpointOverdue, verifyAuditChain } from '../../db/audit';
import { AuditChainCutError, checkpointTheChain, newestAuditCheckpoint } from '../../services/audit-checkpoints';
import { AppError } from '../errors';
import { requireRole } from '../auth';
import { auditQuerySchema } from '../schemas';

/** The audit trail, for compliance: read it, prove nobody altered or cut it, and anchor its head now. */
export function auditRoutes(deps: { db: DataSource; temporal: Client; cfg: Config }): Router {
  const r = Router();
  const keyring = auditKeyring(deps.cfg);
  r.get('/audit', requireRole('compliance'), async (req, res) => {
    const q = auditQuerySchema.parse(req.query);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, value: unknown) => {
      if (value === undefined) return;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    };
    add('target_type', q.targetType);
    add('target_id', q.targetId);
    add('actor_sub', q.actorSub);
    add('action', q.action);
    if (q.beforeId) {
      params.push(q.beforeId);
      where.push(`id < $${params.length}`);
    }
    params.push(q.limit);
    const rows: Record<string, unknown>[] = await deps.db.query(
      `SELECT id, at, actor_sub AS "actorSub", actor_role AS "actorRole", action, target_type AS "targetType", target_id AS "targetId",
              details, prev_hash AS "prevHash", hash, key_id AS "keyId"
         FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    res.json({ items: rows.map((row) => ({ ...row, id: Number(row.id) })) });
  });
  // The chain checked against the newest checkpoint kept outside Postgres, and that checkpoint's
  // age: rows appended after it are covered by the chain only, so a cut there could go unseen.
  r.get('/audit/verify', requireRole('compliance'), async (_req, res) => {
    const checkpoint = await anchorCall(() => newestAuditCheckpoint(deps.temporal, deps.cfg.TEMPORAL_TASK_QUEUE));
    const broken = (await verifyAuditChain(deps.db.manager, { keyring, checkpoint })) ?? (await checkpointOverdue(deps.db, checkpoint));
    const newest = checkpoint
      ? { lastId: Number(checkpoint.lastId), count: checkpoint.count, at: checkpoint.at, keyId: checkpoint.keyId, ageSeconds: Math.max(0, Math.round((Date.now() - Date.parse(checkpoint.at)) / 1000)) }
      : null;
    res.json(
      broken
        ? { intact: false, code: broken.code, reason: broken.reason, firstBrokenId: broken.brokenAtId === null ? null : Number(broken.brokenAtId), checkpoint: newest }
        : { intact: true, checkpoint: newest },
    );
  });
  r.post('/audit/checkpoints', requireRole('compliance'), async (_req, res) => {
    const recorded = await anchorCall(() => checkpointTheChain(deps.db, keyring, deps.temporal, deps.cfg.TEMPORAL_TASK_QUEUE));
    res.status(201).json({ ...recorded, lastId: Number(recorded.lastId) });
  });
  return r;
}

/** A call to the audit anchor; an unreachable Temporal is a 503, never an answer about the chain without its anchor. */
async function anchorCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof AuditChainCutError) throw new AppError(409, 'audit_chain_cut', err.message);
    throw new AppError(503, 'audit_anchor_unavailable', 'the audit anchor (a Temporal workflow) cannot be reached; retry later', { retryable: true });
  }
}
