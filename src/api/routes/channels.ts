import { Router } from 'express';
import type { z } from 'zod';
import { caseIdParams } from '../schemas';
import {
  channelFiguresOverTime,
  channelGradings,
  channelsReport,
  clearChannelOverride,
  getChannel,
  overrideChannel,
  recordLoanPerformance,
  runChannelReview,
} from '../../services/channels';
import type { CaseDeps } from '../../services/cases';
import { slaBreachReport } from '../../services/reports';
import { actorOf, requireRole } from '../auth';
import {
  channelFiguresQuerySchema,
  channelIdParams,
  channelOverrideSchema,
  channelReviewRequestSchema,
  clearOverrideSchema,
  gradingsQuerySchema,
  loanPerformanceSchema,
  reportPeriodQuerySchema,
} from '../channel-schemas';

const parse = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => schema.parse(value ?? {});

/** Channel reviews and figures (渠道把关), lenders' loan reports, and the managers' channel and SLA reports. */
export function channelRoutes(deps: CaseDeps): Router {
  const r = Router();
  const channelIdOf = (params: unknown) => parse(channelIdParams, params).id;

  r.post('/channels/reviews', requireRole('manager', 'admin'), async (req, res) => {
    const { channelIds } = parse(channelReviewRequestSchema, req.body);
    const { status, body } = await runChannelReview(deps, actorOf(req), channelIds);
    res.status(status).json(body);
  });

  r.get('/channels/:id', requireRole('manager', 'admin', 'channel'), async (req, res) => {
    res.json(await getChannel(deps, actorOf(req), channelIdOf(req.params)));
  });

  r.get('/channels/:id/figures', requireRole('manager', 'admin', 'channel'), async (req, res) => {
    const q = parse(channelFiguresQuerySchema, req.query);
    res.json(await channelFiguresOverTime(deps, actorOf(req), channelIdOf(req.params), q));
  });

  r.get('/channels/:id/gradings', requireRole('manager', 'admin', 'channel'), async (req, res) => {
    const { limit } = parse(gradingsQuerySchema, req.query);
    res.json(await channelGradings(deps, actorOf(req), channelIdOf(req.params), limit));
  });

  r.post('/channels/:id/override', requireRole('manager'), async (req, res) => {
    const body = parse(channelOverrideSchema, req.body);
    res.json(await overrideChannel(deps, actorOf(req), channelIdOf(req.params), body));
  });

  r.post('/channels/:id/override/clear', requireRole('manager'), async (req, res) => {
    const { reason } = parse(clearOverrideSchema, req.body);
    res.json(await clearChannelOverride(deps, actorOf(req), channelIdOf(req.params), reason));
  });

  r.post('/leads/:id/loan-performance', requireRole('risk_officer', 'admin'), async (req, res) => {
    const { id } = parse(caseIdParams, req.params);
    res.json(await recordLoanPerformance(deps, actorOf(req), id, parse(loanPerformanceSchema, req.body)));
  });

  r.get('/reports/channels', requireRole('manager'), async (req, res) => {
    res.json(await channelsReport(deps, parse(reportPeriodQuerySchema, req.query)));
  });

  r.get('/reports/sla-breaches', requireRole('manager'), async (req, res) => {
    res.json(await slaBreachReport(deps.db, parse(reportPeriodQuerySchema, req.query)));
  });

  return r;
}
