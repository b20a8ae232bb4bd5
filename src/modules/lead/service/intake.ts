import type { EntityManager } from 'typeorm';
import type { Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import type { IntakeRequest } from '../schemas/leads';
import { appendAudit } from '../../../platform/audit/log';
import { ageBand, regionPrefix } from '../rules/deidentify';
import { normalizeMobile } from '../../../platform/domain/phone';
import { keyringFrom, sealForCase } from '../../../platform/crypto';
import { NoSlotError } from '../../../platform/slots';
import { mayRead } from './read-access';
import type { StoredIdentity } from './identity';
import { commitOutcome } from './commit-outcome';
import {
  findIdempotent,
  findOpenCaseOf,
  insertCase,
  insertDuplicateIntake,
  lookUpForIntake,
  replayOf,
  saveIdempotent,
  type OpenCase,
} from '../repository/intake';
import { settleWorkflowOfFailedIntake, startCaseWorkflow, temporalCall } from './intake-workflow';
import { INTAKE_SLOT_WAIT_MS, intakeSlotsFor } from './intake-slots';
import {
  admitChannel,
  assessApplicant,
  checkChannelCredential,
  intakeKeys,
  newLead,
  type IntakeDeps,
  type IntakeKeys,
  type IntakeResult,
  type NewLead,
} from './intake-checks';
import { verifiedSignalArg } from '../../../platform/temporal/calls';
import { duplicateIntakeSignal } from '../messages';

const PG_UNIQUE_VIOLATION = '23505';

/**
 * Intake of one lead. The story: replay a retried request; refuse a suspended channel, an amount
 * over the channel's grade limit and a minor; join an open case of the same person (撞单); otherwise
 * store the case with its identity encrypted and start its workflow in the same transaction, so a
 * Temporal outage leaves nothing half-made.
 */
export async function submitLead(
  deps: IntakeDeps,
  actor: Actor,
  req: IntakeRequest,
  idempotencyKey?: string,
): Promise<IntakeResult> {
  checkChannelCredential(actor, req);
  const keys = intakeKeys(deps.cfg, actor, req, idempotencyKey);
  // Everything intake must know before it writes, in one round trip; then checked in order.
  const known = await lookUpForIntake(deps.db.manager, {
    scope: keys.scope,
    idempotencyKey,
    channelId: req.channelId,
    idIndex: keys.idIndex,
    phoneIndex: keys.phoneIndex,
    noticeVersion: req.consent?.noticeVersion,
  });
  if (known.replay) return replayed(replayOf(known.replay, keys.requestHash));
  const grade = admitChannel(deps.cfg, req, known.channel);
  const now = new Date();
  const applicant = assessApplicant(deps.cfg, req, now);
  if (req.consent && !known.noticeExists) throw unknownNotice(req.consent.noticeVersion);
  if (known.openCase)
    return joinExisting(deps, actor, req, known.openCase, keys.scope, idempotencyKey, keys.requestHash);

  const intake: Intake = { deps, actor, req, keys };
  const lead = newLead(deps.cfg, req, grade, applicant, now);
  try {
    await intakeSlotsFor(deps.db).run(
      () => deps.db.transaction((m) => storeCaseAndStart(intake, m, lead)),
      INTAKE_SLOT_WAIT_MS,
    );
  } catch (err) {
    return afterFailedIntake(intake, lead, err);
  }
  return { status: 201, body: lead.body };
}

/** One intake request as the steps after the checks share it. */
interface Intake {
  deps: IntakeDeps;
  actor: Actor;
  req: IntakeRequest;
  keys: IntakeKeys;
}

const replayed = (answer: unknown): IntakeResult => ({
  status: 200,
  body: { ...(answer as IntakeResult['body']), replayed: true },
});

/** Inside the intake's transaction: the case and its identity, then its workflow, then the audit row. */
async function storeCaseAndStart(intake: Intake, m: EntityManager, lead: NewLead): Promise<void> {
  const { deps, actor, req } = intake;
  const { cfg } = deps;
  const { suitability } = lead.applicant;
  await storeCase(intake, m, lead);
  // Started inside the transaction: if Temporal refuses, the rows roll back and the caller can retry.
  await startCaseWorkflow(deps, {
    caseId: lead.caseId,
    facts: lead.facts,
    submittedBy: `${actor.role}:${actor.sub}`,
    consentAtIntake: req.consent,
    policy: cfg.policy,
    projectedAtIntake: lead.projectedAtIntake,
  });
  // Last, just before commit: the audit chain's lock is then held for as short a time as possible.
  await appendAudit(m, {
    actorSub: actor.sub,
    actorRole: actor.role,
    action: 'lead.intake',
    targetType: 'lead_case',
    targetId: lead.caseId,
    details: {
      channelId: req.channelId,
      vulnerable: suitability.vulnerable,
      local: suitability.local,
      consentAtIntake: req.consent?.purposes ?? [],
    },
  });
}

/** The case with its identity sealed, and the answer to a repeat of this request, written at once. */
async function storeCase({ deps: { cfg }, actor, req, keys }: Intake, m: EntityManager, lead: NewLead): Promise<void> {
  const { age, provinceCode, suitability } = lead.applicant;
  const identity: StoredIdentity = {
    name: req.applicant.name,
    idNumber: req.applicant.idNumber.toUpperCase(),
    phone: normalizeMobile(req.applicant.phone),
    residenceRegion: req.applicant.residenceRegion,
    deviceId: req.context.deviceId ?? null,
    ip: req.context.ip ?? null,
  };
  const sealed = sealForCase(
    lead.caseId,
    identity,
    keyringFrom(cfg.MASTER_KEY_ID, cfg.MASTER_KEY, cfg.MASTER_OLD_KEYS),
  );
  await insertCase(m, {
    caseId: lead.caseId,
    workflowId: lead.workflowId,
    channelId: req.channelId,
    channelGrade: lead.facts.channelGrade,
    vulnerable: suitability.vulnerable,
    local: suitability.local,
    amountCny: req.request.amount,
    termMonths: req.request.termMonths,
    loanPurpose: req.request.purpose,
    occupation: req.applicant.occupation,
    ageBand: ageBand(age),
    provinceCode,
    regionPrefix: regionPrefix(req.applicant.residenceRegion),
    ageAtIntake: age,
    // The mismatches, then the notes on lookups that found nothing: codes only, never the phone or the IP.
    regionMismatches: [...suitability.mismatches, ...suitability.notes],
    idIndex: keys.idIndex,
    phoneIndex: keys.phoneIndex,
    deviceIndex: keys.deviceIndex,
    submittedBy: `${actor.role}:${actor.sub}`,
    sealed,
    monthlyIncome: req.applicant.monthlyIncome,
    monthlyDebt: req.applicant.monthlyDebt,
    sla: lead.projectedAtIntake ? { dueAt: lead.projectedAtIntake.consentDeadline.dueAt, kind: 'consent' } : null,
    projectionSeq: lead.projectedAtIntake ? 1 : 0,
    answer: { scope: keys.scope, key: keys.idempotencyKey ?? null, requestHash: keys.requestHash, response: lead.body },
  });
}

/**
 * An intake whose transaction failed: the case may still have committed (its answer lost on the
 * way back), or another intake of the same person may have won the race; otherwise the error stands.
 */
async function afterFailedIntake(intake: Intake, lead: NewLead, err: unknown): Promise<IntakeResult> {
  // Nothing was stored or started: the intake never had its turn.
  if (err instanceof NoSlotError) {
    throw new DomainError(
      'intake_busy',
      'too many intakes are waiting on the workflow engine; nothing was stored, retry later',
      { retryable: true },
    );
  }
  const outcome = await commitOutcome(intake.deps.db, 'lead_cases', lead.caseId);
  // A commit whose answer was lost on the way back (the connection dropped after COMMIT): the case exists.
  if (outcome === 'committed') return { status: 201, body: lead.body };
  await settleWorkflowOfFailedIntake(intake.deps, intake.actor, lead, outcome);
  if ((err as { code?: string }).code === PG_UNIQUE_VIOLATION) {
    const joined = await joinRaceWinner(intake);
    if (joined) return joined;
  }
  throw err;
}

/** Another intake of the same person won the race: replay this request's answer, or join their case. */
async function joinRaceWinner({ deps, actor, req, keys }: Intake): Promise<IntakeResult | undefined> {
  const replay = keys.idempotencyKey
    ? await findIdempotent(deps.db.manager, keys.scope, keys.idempotencyKey, keys.requestHash)
    : null;
  if (replay) return replayed(replay);
  const winner = await findOpenCaseOf(deps.db.manager, keys.idIndex, keys.phoneIndex);
  if (winner) return joinExisting(deps, actor, req, winner, keys.scope, keys.idempotencyKey, keys.requestHash);
  return undefined;
}

async function joinExisting(
  deps: IntakeDeps,
  actor: Actor,
  req: IntakeRequest,
  existing: OpenCase,
  scope: string,
  idempotencyKey: string | undefined,
  requestHash: string,
): Promise<IntakeResult> {
  // The same person is already a case: say so, but name the case (and its stage, which tells how far
  // the person's application has gone) only to a caller who may read it. Another channel learns no more.
  const body: IntakeResult['body'] = mayRead(actor, existing)
    ? { caseId: existing.id, workflowId: existing.workflow_id, stage: existing.stage, duplicate: true }
    : { caseId: null, workflowId: null, stage: null, duplicate: true };
  try {
    await deps.db.transaction(async (m) => {
      await insertDuplicateIntake(m, existing.id, req.channelId, existing.matched_on);
      if (idempotencyKey) await saveIdempotent(m, scope, idempotencyKey, requestHash, 200, body);
      await appendAudit(m, {
        actorSub: actor.sub,
        actorRole: actor.role,
        action: 'lead.duplicate_joined',
        targetType: 'lead_case',
        targetId: existing.id,
        details: { channelId: req.channelId, matchedOn: existing.matched_on },
      });
    });
  } catch (err) {
    // The same Idempotency-Key arrived twice at once: the other request recorded the answer.
    const replay =
      (err as { code?: string }).code === PG_UNIQUE_VIOLATION && idempotencyKey
        ? await findIdempotent(deps.db.manager, scope, idempotencyKey, requestHash)
        : null;
    if (replay) return { status: 200, body: { ...(replay as IntakeResult['body']), replayed: true } };
    throw err;
  }
  const signal = verifiedSignalArg(existing.workflow_id, duplicateIntakeSignal.name, actor, {
    channelId: req.channelId,
  });
  await temporalCall(deps, () =>
    deps.temporal.workflow.getHandle(existing.workflow_id).signal(duplicateIntakeSignal, signal),
  ).catch(() => undefined); // informational only; the intake row is the record
  return { status: 200, body };
}

const unknownNotice = (version: string) =>
  new DomainError('unknown_notice_version', `consent notice version ${version} does not exist`);
