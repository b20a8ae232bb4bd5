import type { RequestHandler } from 'express';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerServiceGauges, type ServiceGaugeSources } from './service-gauges';

/**
 * Prometheus metrics of one API process: HTTP latency, intakes by result, refusals by code; with
 * `service`, the service's own gauges for alerts (src/platform/http/service-gauges.ts).
 */
export function createMetrics(service?: ServiceGaugeSources) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const intakes = new Counter({
    name: 'lead_intakes_total',
    help: 'Lead intakes by result',
    labelNames: ['result'],
    registers: [registry],
  });
  const refusals = new Counter({
    name: 'api_refusals_total',
    help: 'Requests refused, by problem code',
    labelNames: ['status', 'code'],
    registers: [registry],
  });

  if (service) registerServiceGauges(registry, service);

  /** Times every request; the route label is the matched pattern (never the path, which holds IDs). */
  const middleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
  return { registry, middleware, intakes, refusals };
}
export type Metrics = ReturnType<typeof createMetrics>;
