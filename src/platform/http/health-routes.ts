import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Metrics } from './metrics';
import { anyObject, json, problem, text } from './openapi';
import { defineRoute, type Route } from './route';
import { pingDatabase } from '../db/readiness';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

/** Liveness says the process runs; readiness says which dependency, if any, is unreachable; and the metrics. */
export function healthRoutes(deps: { db: DataSource; temporal: Client; metrics: Metrics }): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness',
      roles: 'public',
      responses: { 200: json(anyObject, 'ok'), 429: problem('rate limit') },
      handler: (_input, _req, res) => {
        res.json({ status: 'ok' });
      },
    }),

    defineRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: Postgres and Temporal',
      roles: 'public',
      responses: { 200: json(anyObject, 'ready'), 503: json(anyObject, 'not ready; says which part') },
      handler: async (_input, _req, res) => {
        const [postgres, temporal] = await Promise.all([
          withTimeout(pingDatabase(deps.db), 2_000).then(
            () => 'ok' as const,
            () => 'unreachable' as const,
          ),
          deps.temporal.connection
            .withDeadline(Date.now() + 2_000, () => deps.temporal.workflowService.getSystemInfo({}))
            .then(
              () => 'ok' as const,
              () => 'unreachable' as const,
            ),
        ]);
        const ready = postgres === 'ok' && temporal === 'ok';
        res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: { postgres, temporal } });
      },
    }),

    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics',
      description: 'For operators: restrict it by network.',
      roles: 'public',
      responses: { 200: text('text exposition format') },
      handler: async (_input, _req, res) => {
        res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
      },
    }),
  ];
}
