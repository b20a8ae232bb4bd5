import { Router } from 'express';
import type { DataSource } from 'typeorm';
import { verifyAuditChain } from '../../db/audit';
import { requireRole } from '../auth';
import { auditQuerySchema } from '../schemas';

/** The audit trail, for compliance: read it, and prove nobody altered it. */
export function auditRoutes(deps: { db: DataSource }): Router {
  const r = Router();
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
              details, prev_hash AS "prevHash", hash
         FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
    res.json({ items: rows.map((row) => ({ ...row, id: Number(row.id) })) });
  });
  r.get('/audit/verify', requireRole('compliance'), async (_req, res) => {
    const broken = await verifyAuditChain(deps.db.manager);
    res.json(broken ? { intact: false, firstBrokenId: Number(broken.brokenAtId), reason: broken.reason } : { intact: true });
  });
  return r;
}
