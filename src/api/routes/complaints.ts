import { Router, type Request } from 'express';
import type { z } from 'zod';
import { complaintReport } from '../../services/complaint-reports';
import { actOnComplaint, complaintFor, fileComplaint, getComplaint, listComplaints, type ComplaintDeps } from '../../services/complaints';
import { closeComplaintUpdate, complaintLegalHoldUpdate, escalateToGroupUpdate, firstResponseUpdate } from '../../workflows/complaint-messages';
import { actorOf, requireRole } from '../auth';
import { AppError } from '../errors';
import {
  complaintCloseSchema,
  complaintEscalationSchema,
  complaintFilingSchema,
  complaintIdParams,
  complaintListQuerySchema,
  complaintReportQuerySchema,
  firstResponseSchema,
} from '../complaint-schemas';
import { legalHoldSchema } from '../schemas';

const parse = <S extends z.ZodType>(schema: S, value: unknown): z.infer<S> => schema.parse(value ?? {});

/**
 * The complaint routes (客诉). Each handler: parse, check the role, call one function, answer.
 * Idempotency-Key works here as on every POST (src/api/idempotency.ts).
 */
export function complaintRoutes(deps: ComplaintDeps): Router {
  const r = Router();
  const complaintOf = async (req: Request) => complaintFor(deps, actorOf(req), parse(complaintIdParams, req.params).id);

  r.post('/complaints', requireRole('broker', 'channel', 'compliance'), async (req, res) => {
    const body = parse(complaintFilingSchema, req.body);
    res.status(201).json(await fileComplaint(deps, actorOf(req), body, req.idempotency));
  });

  r.get('/complaints', requireRole('broker', 'channel', 'manager', 'compliance'), async (req, res) => {
    res.json(await listComplaints(deps, actorOf(req), parse(complaintListQuerySchema, req.query)));
  });

  r.get('/complaints/:id', requireRole('broker', 'channel', 'manager', 'compliance'), async (req, res) => {
    res.json(await getComplaint(deps, actorOf(req), parse(complaintIdParams, req.params).id));
  });

  r.post('/complaints/:id/first-response', requireRole('broker', 'manager', 'compliance'), async (req, res) => {
    const body = parse(firstResponseSchema, req.body);
    const row = await complaintOf(req);
    res.json(await actOnComplaint(deps, actorOf(req), row, {
      update: firstResponseUpdate, arg: { via: body.via }, audit: 'complaint.first_response', details: { via: body.via }, note: body.note, updateId: req.idempotency?.updateId,
    }));
  });

  r.post('/complaints/:id/escalation', requireRole('manager', 'compliance'), async (req, res) => {
    const body = parse(complaintEscalationSchema, req.body);
    const row = await complaintOf(req);
    res.json(await actOnComplaint(deps, actorOf(req), row, {
      update: escalateToGroupUpdate, arg: { teams: body.teams }, audit: 'complaint.escalated_to_group', details: { teams: body.teams }, note: body.reason, updateId: req.idempotency?.updateId,
    }));
  });

  r.post('/complaints/:id/close', requireRole('manager', 'compliance'), async (req, res) => {
    const body = parse(complaintCloseSchema, req.body);
    const row = await complaintOf(req);
    res.json(await actOnComplaint(deps, actorOf(req), row, {
      update: closeComplaintUpdate, arg: { resolution: body.resolution, satisfaction: body.satisfaction },
      audit: 'complaint.closed', details: { resolution: body.resolution, satisfaction: body.satisfaction }, note: body.note, updateId: req.idempotency?.updateId,
    }));
  });

  r.post('/complaints/:id/legal-hold', requireRole('compliance'), async (req, res) => {
    const body = parse(legalHoldSchema, req.body);
    const row = await complaintOf(req);
    // Said here too, because the workflow of a closed complaint about a case has already ended.
    if (row.key_scope === 'case') {
      throw new AppError(409, 'hold_the_case', 'this complaint’s description is sealed with its case’s data key and erased with the case: put the case on legal hold');
    }
    res.json(await actOnComplaint(deps, actorOf(req), row, {
      update: complaintLegalHoldUpdate, arg: { hold: body.hold },
      // The reason is sealed with the event, like every note on a complaint: it may name the customer.
      audit: body.hold ? 'complaint.legal_hold_placed' : 'complaint.legal_hold_released', details: {}, note: body.reason, updateId: req.idempotency?.updateId,
    }));
  });

  r.get('/reports/complaints', requireRole('manager', 'compliance'), async (req, res) => {
    res.json(await complaintReport(deps.db, parse(complaintReportQuerySchema, req.query)));
  });

  return r;
}
