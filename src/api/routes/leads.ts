import { Router, type Request } from 'express';
import type { z } from 'zod';
import { checkMarketingText } from '../../domain/marketing-text';
import { startBrokerOffboarding } from '../../services/brokers';
import {
  actOnCase, assertMayRead, attachContactNote, attachDecisionReason, auditAction, getCase, getPii, holdEndedCase, listCases, listLegalHolds, loadCaseRow, recordLegalHold,
  type CaseDeps,
} from '../../services/cases';
import { getDecision } from '../../services/decisions';
import { exportCase } from '../../services/export';
import { submitLead } from '../../services/intake';
import { listCheckIns, recordCheckInCall } from '../../services/post-loan';
import { funnelReport } from '../../services/reports';
import {
  assignmentUpdate,
  contactAttemptUpdate,
  doNotContactUpdate,
  grantConsentUpdate,
  humanReviewUpdate,
  legalHoldUpdate,
  outcomeUpdate,
  reviewUpdate,
  selectionUpdate,
  withdrawConsentUpdate,
} from '../../workflows/messages';
import { actorOf, requireRole } from '../auth';
import type { Metrics } from '../metrics';
import { AppError } from '../errors';
import {
  assignmentSchema,
  caseIdParams,
  consentGrantSchema,
  contactAttemptSchema,
  emptySchema,
  funnelQuerySchema,
  humanReviewSchema,
  intakeSchema,
  legalHoldSchema,
  listQuerySchema,
  outcomeSchema,
  piiQuerySchema,
  checkInCallSchema,
  checkInListQuerySchema,
  checkInParams,
  reviewSchema,
  selectionSchema,
  withdrawSchema,
} from '../schemas';

const parse = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => schema.parse(value ?? {});
const idempotencyKeyOf = (req: Request): string | undefined => {
  const key = req.header('idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,128}$/.test(key)) throw new AppError(422, 'invalid_idempotency_key', 'Idempotency-Key must be 1-128 visible ASCII characters');
  return key;
};

/** The case routes. Each handler: parse, check the role, call one function, answer. */
export function leadRoutes(deps: CaseDeps & { metrics: Metrics }): Router {
  const r = Router();
  const caseOf = async (req: Request) => {
    const { id } = parse(caseIdParams, req.params);
    const row = await loadCaseRow(deps.db, id);
    assertMayRead(actorOf(req), row);
    return id;
  };

  /**
   * For an action the workflow itself authorises: `work` runs without reading the case row, and
   * only when it fails is the row read, so an unknown case answers 404 and another's case 403, as
   * `caseOf` would have before `work`; a refusal tells nothing of a case the caller may not see.
   */
  const authorisedByWorkflow = async <T>(req: Request, work: (id: string) => Promise<T>): Promise<{ result: T; id: string }> => {
    const { id } = parse(caseIdParams, req.params);
    try {
      return { result: await work(id), id };
    } catch (err) {
      await caseOf(req);
      throw err;
    }
  };

  r.post('/leads', requireRole('channel', 'broker', 'manager', 'admin'), async (req, res) => {
    const body = parse(intakeSchema, req.body);
    const result = await submitLead(deps, actorOf(req), body, idempotencyKeyOf(req));
    deps.metrics.intakes.inc({ result: result.body.replayed ? 'replay' : result.body.duplicate ? 'duplicate' : 'new' });
    res.status(result.status).json(result.body);
  });

  r.get('/leads', requireRole('broker', 'manager', 'risk_officer', 'compliance', 'admin', 'channel'), async (req, res) => {
    res.json(await listCases(deps, actorOf(req), parse(listQuerySchema, req.query)));
  });

  r.get('/leads/:id', requireRole('broker', 'manager', 'risk_officer', 'compliance', 'admin', 'channel'), async (req, res) => {
    const { id } = parse(caseIdParams, req.params);
    res.json(await getCase(deps, actorOf(req), id));
  });

  r.get('/leads/:id/pii', async (req, res) => {
    const { id } = parse(caseIdParams, req.params);
    const { purpose } = parse(piiQuerySchema, req.query);
    res.json(await getPii(deps, actorOf(req), id, purpose));
  });

  r.post('/leads/:id/consents', requireRole('channel', 'broker'), async (req, res) => {
    const body = parse(consentGrantSchema, req.body);
    const id = await caseOf(req);
    const [notice] = await deps.db.query('SELECT 1 FROM consent_notices WHERE version = $1', [body.noticeVersion]);
    if (!notice) throw new AppError(422, 'unknown_notice_version', `consent notice version ${body.noticeVersion} does not exist`);
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, grantConsentUpdate, body, actor, req.idempotency?.updateId);
    // The workflow audits the grant with its consent rows, naming the verified actor.
    res.json(result.state);
  });

  r.post('/leads/:id/consents/withdraw', requireRole('channel', 'broker', 'compliance'), async (req, res) => {
    const body = parse(withdrawSchema, req.body);
    const id = await caseOf(req);
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, withdrawConsentUpdate, body, actor, req.idempotency?.updateId);
    res.json(result.state);
  });

  r.post('/leads/:id/review', requireRole('risk_officer'), async (req, res) => {
    const body = parse(reviewSchema, req.body);
    const id = await caseOf(req);
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, reviewUpdate, { decision: body.decision }, actor, req.idempotency?.updateId);
    // The reason is free text a person typed: it stays in Postgres, beside the decision the workflow recorded.
    await attachDecisionReason(deps.db, id, result.eventId, body.reason);
    res.json(result.state);
  });

  r.get('/leads/:id/decision', requireRole('compliance', 'channel', 'manager', 'risk_officer'), async (req, res) => {
    // Explanations are for people: in the caller's language (zh-CN unless English is preferred).
    const lang = req.acceptsLanguages('zh-CN', 'zh', 'en') === 'en' ? 'en' : 'zh-CN';
    res.json(await getDecision(deps, actorOf(req), await caseOf(req), lang));
  });

  r.post('/leads/:id/human-review', requireRole('compliance', 'channel'), async (req, res) => {
    const body = parse(humanReviewSchema, req.body);
    const id = await caseOf(req);
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, humanReviewUpdate, {}, actor, req.idempotency?.updateId);
    if (body.reason) await attachDecisionReason(deps.db, id, result.eventId, body.reason);
    res.json(result.state);
  });

  // A broker's most frequent action. The workflow checks that the broker is the case's assigned one
  // and writes the audit row with the log entry, so an accepted attempt needs no read of the case
  // row here and no second write; a refused one is answered as the read would answer first.
  r.post('/leads/:id/contact-attempts', requireRole('broker'), async (req, res) => {
    const body = parse(contactAttemptSchema, req.body);
    const actor = actorOf(req);
    const { result, id } = await authorisedByWorkflow(req, async (id) => {
      if (body.purpose === 'marketing' && body.marketingText !== undefined) {
        const check = checkMarketingText(body.marketingText);
        if (!check.ok) throw new AppError(422, 'marketing_text_violation', 'the marketing text breaks the advertising rules', { violations: check.violations });
      }
      const attempt = { channel: body.channel, purpose: body.purpose, outcome: body.outcome };
      return actOnCase(deps, id, contactAttemptUpdate, attempt, actor, req.idempotency?.updateId);
    });
    if (body.note) await attachContactNote(deps.db, id, result.eventId, body.note);
    res.status(201).json(result.state);
  });

  r.post('/leads/:id/do-not-contact', requireRole('broker', 'manager', 'compliance'), async (req, res) => {
    parse(emptySchema, req.body);
    const id = await caseOf(req);
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, doNotContactUpdate, {}, actor, req.idempotency?.updateId);
    await auditAction(deps, actor, 'contact.do_not_contact', id);
    res.json(result.state);
  });

  r.post('/leads/:id/selection', requireRole('broker'), async (req, res) => {
    const body = parse(selectionSchema, req.body);
    const id = await caseOf(req);
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, selectionUpdate, { productId: body.productId }, actor, req.idempotency?.updateId);
    await auditAction(deps, actor, 'case.product_selected', id, { productId: body.productId });
    res.json(result.state);
  });

  r.post('/leads/:id/outcome', requireRole('broker'), async (req, res) => {
    const body = parse(outcomeSchema, req.body);
    const id = await caseOf(req);
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, outcomeUpdate, { outcome: body.outcome }, actor, req.idempotency?.updateId);
    await auditAction(deps, actor, 'case.outcome', id, { outcome: body.outcome });
    res.json(result.state);
  });

  r.post('/leads/:id/assignment', requireRole('manager'), async (req, res) => {
    const body = parse(assignmentSchema, req.body);
    const id = await caseOf(req);
    if (body.brokerId) {
      const [broker] = await deps.db.query('SELECT active FROM brokers WHERE id = $1', [body.brokerId]);
      if (!broker) throw new AppError(422, 'unknown_broker', `broker ${body.brokerId} does not exist`);
      if (!broker.active) throw new AppError(422, 'broker_inactive', `broker ${body.brokerId} is not active`);
    }
    const actor = actorOf(req);
    const result = await actOnCase(deps, id, assignmentUpdate, { brokerId: body.brokerId }, actor, req.idempotency?.updateId);
    await auditAction(deps, actor, 'case.reassigned', id, { brokerId: body.brokerId });
    res.json(result.state);
  });

  r.post('/brokers/:id/offboarding', requireRole('manager'), async (req, res) => {
    parse(emptySchema, req.body);
    res.status(202).json(await startBrokerOffboarding(deps, actorOf(req), String(req.params.id)));
  });

  r.get('/leads/:id/export', requireRole('compliance'), async (req, res) => {
    const { id } = parse(caseIdParams, req.params);
    res.json(await exportCase(deps, actorOf(req), id));
  });

  r.get('/reports/funnel', requireRole('manager'), async (req, res) => {
    res.json(await funnelReport(deps.db, { ...parse(funnelQuerySchema, req.query), timeZone: deps.cfg.policy.contact.timeZone }));
  });

  r.post('/leads/:id/legal-hold', requireRole('compliance'), async (req, res) => {
    const body = parse(legalHoldSchema, req.body);
    const id = await caseOf(req);
    const actor = actorOf(req);
    let result;
    try {
      result = await actOnCase(deps, id, legalHoldUpdate, { hold: body.hold }, actor, req.idempotency?.updateId);
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'case_finished')) throw err;
      // The workflow ended without erasing the case: the hold goes on its row, which the retention sweep honours.
      await holdEndedCase(deps, actor, id, body.hold, body.reason, req.idempotency?.updateId);
      res.json(await getCase(deps, actor, id));
      return;
    }
    // The workflow wrote the hold's event and audit row; the reason goes beside it in legal_hold_events,
    // which erasure clears, never into the audit chain.
    await recordLegalHold(deps, actor, id, body.hold, body.reason, req.idempotency?.updateId, result);
    res.json(result.state);
  });

  r.get('/leads/:id/legal-holds', requireRole('compliance'), async (req, res) => {
    res.json(await listLegalHolds(deps, actorOf(req), await caseOf(req)));
  });

  r.get('/post-loan/check-ins', requireRole('broker', 'manager', 'compliance'), async (req, res) => {
    res.json(await listCheckIns(deps.db, actorOf(req), parse(checkInListQuerySchema, req.query)));
  });

  r.post('/leads/:id/check-ins/:day', requireRole('broker', 'manager'), async (req, res) => {
    const { id, day } = parse(checkInParams, req.params);
    const call = parse(checkInCallSchema, req.body);
    res.json(await recordCheckInCall(deps.db, deps.cfg.policy, actorOf(req), { caseId: id, day }, call));
  });

  return r;
}
