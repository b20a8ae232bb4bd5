import { Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Config } from '../../config';
import { addToBlacklist, checkBlacklist, getNotice, listNotices, publishNotice, recordLenderApplications, removeFromBlacklist } from '../../services/reference-data';
import { actorOf, requireRole } from '../auth';
import { blacklistAddSchema, blacklistCheckSchema, blacklistRemoveSchema, lenderApplicationsSchema, noticePublishSchema, noticeVersionParams } from '../schemas';

/**
 * Consent notice versions (everyone signed in reads them; compliance publishes), the blacklist (risk
 * officers and compliance), and lenders' application reports for the multi-lender rule.
 */
export function complianceDataRoutes(deps: { db: DataSource; cfg: Config }): Router {
  const r = Router();

  r.get('/consent-notices', async (_req, res) => {
    res.json(await listNotices(deps.db));
  });

  r.get('/consent-notices/:version', async (req, res) => {
    res.json(await getNotice(deps.db, noticeVersionParams.parse(req.params).version));
  });

  r.post('/consent-notices', requireRole('compliance'), async (req, res) => {
    const body = noticePublishSchema.parse(req.body ?? {});
    const { created, notice } = await publishNotice(deps.db, actorOf(req), body);
    res.status(created ? 201 : 200).json(notice);
  });

  r.post('/blacklist', requireRole('risk_officer', 'compliance'), async (req, res) => {
    const body = blacklistAddSchema.parse(req.body ?? {});
    res.json(await addToBlacklist(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.person, body.reason));
  });

  r.post('/blacklist/remove', requireRole('risk_officer', 'compliance'), async (req, res) => {
    const body = blacklistRemoveSchema.parse(req.body ?? {});
    res.json(await removeFromBlacklist(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.person, body.reason));
  });

  r.post('/blacklist/check', requireRole('risk_officer', 'compliance'), async (req, res) => {
    const body = blacklistCheckSchema.parse(req.body ?? {});
    res.json(await checkBlacklist(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.person));
  });

  r.post('/lender-applications', requireRole('risk_officer', 'admin'), async (req, res) => {
    const body = lenderApplicationsSchema.parse(req.body ?? {});
    res.json(await recordLenderApplications(deps.db, deps.cfg.BLIND_INDEX_KEY, actorOf(req), body.applications));
  });

  return r;
}
