import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

/** Liveness says the process runs; readiness says which dependency, if any, is unreachable. */
export function healthRoutes(deps: { db: DataSource; temporal: Client }): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const [postgres, temporal] = await Promise.all([
      withTimeout(deps.db.query('SELECT 1'), 2_000).then(() => 'ok' as const, () => 'unreachable' as const),
      deps.temporal.connection.withDeadline(Date.now() + 2_000, () => deps.temporal.workflowService.getSystemInfo({})).then(() => 'ok' as const, () => 'unreachable' as const),
    ]);
    const ready = postgres === 'ok' && temporal === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { postgres, temporal } });
  });
  return r;
}
