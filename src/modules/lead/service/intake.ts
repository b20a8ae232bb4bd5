import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataSource, EntityManager } from 'typeorm';
import { idempotencyOwner, type Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import type { IntakeRequest } from '../schemas/leads';
import type { Config } from '../../../platform/config';
import { appendAudit } from '../../../platform/audit/log';
import { ageBand, regionPrefix } from '../rules/deidentify';
import { ageOn, parseIdNumber } from '../rules/id-number';
import { normalizeMobile } from '../../../platform/domain/phone';
import { assessSuitability } from '../rules/suitability';
import type { ChannelGrade, LeadStage } from '../../../platform/domain/types';
import { blindIndex, keyringFrom, sealForCase } from '../../../platform/crypto';
import { NoSlotError, Slots } from '../../../platform/slots';
import { mayRead } from './cases';
import { commitOutcome } from './commit-outcome';
import {
  findIdempotent,
  findOpenCaseOf,
  lookUpForIntake,
  replayOf,
  saveIdempotent,
  type OpenCase,
} from '../repository/intake';
import { settleWorkflowOfFailedIntake, startCaseWorkflow, temporalCall } from './intake-workflow';
import { verifiedSignalArg } from '../../../platform/temporal/calls';
import { consentDeadlineFrom, duplicateIntakeSignal, type LeadCaseInput } from '../messages';
import { leadWorkflowId } from '../../../platform/temporal/names';

export interface IntakeDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
}

export interface IntakeResult {
  status: 200 | 201;
  /** The case is named only to a caller who may read it: a duplicate of another channel's or broker's case is answered with nulls. */
  body: {
    caseId: string | null;
    workflowId: string | null;
    stage: LeadStage | null;
    duplicate: boolean;
    replayed?: boolean;
  };
}

/** The identity as stored, encrypted, in `identities`. */
export interface StoredIdentity {
  name: string;
  idNumber: string;
  phone: string;
  residenceRegion: string;
  deviceId: string | null;
  ip: string | null;
}

const PG_UNIQUE_VIOLATION = '23505';

/**
 * An intake's transaction stays open while Temporal starts its workflow (up to 5 s when Temporal is
 * slow), holding a pooled connection. Intakes may hold all but this many of the pool's
 * connections, so reads, case actions and /readyz still get one while intakes wait on Temporal.
 */
const POOL_RESERVE = 2;
/** How long an intake waits for its turn before it is refused with `intake_busy` (retryable). */
const INTAKE_SLOT_WAIT_MS = 5_000;
const intakeSlots = new WeakMap<DataSource, Slots>();

/** The intake slots of a connection pool: its size less POOL_RESERVE, at least one. */
export function intakeSlotsFor(db: DataSource): Slots {
  let slots = intakeSlots.get(db);
  if (!slots) {
    const poolMax = Number((db.options as { extra?: { max?: number } }).extra?.max ?? 10);
    slots = new Slots(Math.max(1, poolMax - POOL_RESERVE));
    intakeSlots.set(db, slots);
  }
  return slots;
}

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

/** What identifies this request and this person without their data: the request's hash, the replay scope, blind indexes. */
interface IntakeKeys {
  requestHash: string;
  scope: string;
  idempotencyKey: string | undefined;
  idIndex: string;
  phoneIndex: string;
  deviceIndex: string | null;
}

/** One intake request as the steps after the checks share it. */
interface Intake {
  deps: IntakeDeps;
  actor: Actor;
  req: IntakeRequest;
  keys: IntakeKeys;
}

/** The applicant as the rules see them: age on the intake day, province, and the suitability verdict. */
interface AssessedApplicant {
  age: number;
  provinceCode: string;
  suitability: ReturnType<typeof assessSuitability>;
}

/** A case about to be written: its ids, the facts its workflow starts from and the answer the caller gets. */
interface NewLead {
  caseId: string;
  workflowId: string;
  applicant: AssessedApplicant;
  facts: LeadCaseInput['facts'];
  projectedAtIntake: LeadCaseInput['projectedAtIntake'];
  body: IntakeResult['body'];
}

function checkChannelCredential(actor: Actor, req: IntakeRequest): void {
  if (actor.role === 'channel' && actor.channelId !== req.channelId) {
    throw new DomainError('channel_mismatch', 'a channel credential submits leads for its own channel only');
  }
}

function intakeKeys(cfg: Config, actor: Actor, req: IntakeRequest, idempotencyKey: string | undefined): IntakeKeys {
  const requestHash = createHash('sha256').update(JSON.stringify(req)).digest('hex');
  const scope = `intake:${idempotencyOwner(actor)}`;
  const indexKey = Buffer.from(cfg.BLIND_INDEX_KEY, 'base64');
  return {
    requestHash,
    scope,
    idempotencyKey,
    idIndex: blindIndex('id', req.applicant.idNumber.toUpperCase(), indexKey),
    phoneIndex: blindIndex('phone', normalizeMobile(req.applicant.phone), indexKey),
    deviceIndex: req.context.deviceId ? blindIndex('device', req.context.deviceId, indexKey) : null,
  };
}

const replayed = (answer: unknown): IntakeResult => ({
  status: 200,
  body: { ...(answer as IntakeResult['body']), replayed: true },
});

/** The channel's grade, if the channel exists, is not suspended and may ask for this amount. */
function admitChannel(
  cfg: Config,
  req: IntakeRequest,
  channel: { grade: ChannelGrade; suspended: boolean } | null,
): ChannelGrade {
  if (!channel) throw new DomainError('unknown_channel', `channel ${req.channelId} does not exist`);
  if (channel.suspended)
    throw new DomainError('channel_suspended', `channel ${req.channelId} is suspended and may not submit leads`);
  const grade = channel.grade;
  const maxAmount = cfg.policy.maxAmountByGrade[grade];
  if (req.request.amount > maxAmount) {
    throw new DomainError(
      'amount_above_channel_limit',
      `a ${grade} channel's leads may ask for at most ${maxAmount} CNY`,
      { maxAmount },
    );
  }
  return grade;
}

function assessApplicant(cfg: Config, req: IntakeRequest, now: Date): AssessedApplicant {
  const id = parseIdNumber(req.applicant.idNumber);
  const age = ageOn(id.birthDate, now, cfg.policy.contact.timeZone);
  const suitability = assessSuitability(
    {
      age,
      occupation: req.applicant.occupation,
      idRegionCode: id.regionCode,
      residenceRegionCode: req.applicant.residenceRegion,
      phoneRegionCode: req.context.phoneRegion ?? null,
      ipRegionCode: req.context.ipRegion ?? null,
    },
    cfg.policy,
  );
  if (suitability.refusal === 'minor') {
    // Nothing about a minor is stored: the refusal is the whole answer.
    throw new DomainError('applicant_minor', `applicants under ${cfg.policy.age.minimum} are refused`);
  }
  return { age, provinceCode: id.provinceCode, suitability };
}

function newLead(
  cfg: Config,
  req: IntakeRequest,
  grade: ChannelGrade,
  applicant: AssessedApplicant,
  now: Date,
): NewLead {
  const caseId = randomUUID();
  const workflowId = leadWorkflowId(caseId);
  const facts: LeadCaseInput['facts'] = {
    channelId: req.channelId,
    channelGrade: grade,
    amountCny: req.request.amount,
    termMonths: req.request.termMonths,
    loanPurpose: req.request.purpose,
    ageBand: ageBand(applicant.age),
    provinceCode: applicant.provinceCode,
    vulnerable: applicant.suitability.vulnerable,
    local: applicant.suitability.local,
  };
  const body: IntakeResult['body'] = { caseId, workflowId, stage: 'awaiting_consent', duplicate: false };
  // A lead without consent waits for it: its first projection, with the consent deadline, is
  // written here with the row, so its workflow's first task only starts the deadline's timer.
  const projectedAtIntake: LeadCaseInput['projectedAtIntake'] = req.consent
    ? undefined
    : { consentDeadline: consentDeadlineFrom(now.getTime(), cfg.policy) };
  return { caseId, workflowId, applicant, facts, projectedAtIntake, body };
}

/** Inside the intake's transaction: the case and its identity, then its workflow, then the audit row. */
async function storeCaseAndStart(intake: Intake, m: EntityManager, lead: NewLead): Promise<void> {
  const { deps, actor, req } = intake;
  const { cfg } = deps;
  const { suitability } = lead.applicant;
  await insertCase(intake, m, lead);
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

/**
 * The case, everything it owns and the answer to a repeat of this request, in one statement
 * (one round trip while the transaction is open).
 */
async function insertCase({ deps: { cfg }, actor, req, keys }: Intake, m: EntityManager, lead: NewLead): Promise<void> {
  const { caseId, workflowId, projectedAtIntake } = lead;
  const { age, provinceCode, suitability } = lead.applicant;
  const identity: StoredIdentity = {
    name: req.applicant.name,
    idNumber: req.applicant.idNumber.toUpperCase(),
    phone: normalizeMobile(req.applicant.phone),
    residenceRegion: req.applicant.residenceRegion,
    deviceId: req.context.deviceId ?? null,
    ip: req.context.ip ?? null,
  };
  const sealed = sealForCase(caseId, identity, keyringFrom(cfg.MASTER_KEY_ID, cfg.MASTER_KEY, cfg.MASTER_OLD_KEYS));
  await m.query(
    `WITH lead AS (
       INSERT INTO lead_cases (id, workflow_id, channel_id, channel_grade, stage, vulnerable, is_local, amount_cny, term_months,
         loan_purpose, occupation, age_band, province_code, region_prefix, age_at_intake, region_mismatches, id_index, phone_index, device_index, submitted_by,
         sla_due_at, sla_kind, projection_seq)
       VALUES ($1,$2,$3,$4,'awaiting_consent',$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$25,$26,$27) RETURNING id),
     data_key AS (INSERT INTO lead_data_keys (case_id, master_key_id, wrapped_key) SELECT id, $20, $21 FROM lead),
     sealed_identity AS (INSERT INTO identities (case_id, sealed) SELECT id, $22 FROM lead),
     facts AS (INSERT INTO credit_facts (case_id, monthly_income, monthly_debt) SELECT id, $23, $24 FROM lead),
     answer AS (INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response)
                SELECT $28, $29, $30, 201, $31 FROM lead WHERE $29::text IS NOT NULL)
     INSERT INTO lead_intakes (case_id, channel_id, kind) SELECT id, $3, 'new' FROM lead`,
    [
      caseId,
      workflowId,
      req.channelId,
      lead.facts.channelGrade,
      suitability.vulnerable,
      suitability.local,
      req.request.amount,
      req.request.termMonths,
      req.request.purpose,
      req.applicant.occupation,
      ageBand(age),
      provinceCode,
      regionPrefix(req.applicant.residenceRegion),
      age,
      suitability.mismatches,
      keys.idIndex,
      keys.phoneIndex,
      keys.deviceIndex,
      `${actor.role}:${actor.sub}`,
      sealed.masterKeyId,
      sealed.wrappedKey,
      sealed.sealed,
      req.applicant.monthlyIncome,
      req.applicant.monthlyDebt,
      projectedAtIntake?.consentDeadline.dueAt ?? null,
      projectedAtIntake ? 'consent' : null,
      projectedAtIntake ? 1 : 0,
      keys.scope,
      keys.idempotencyKey ?? null,
      keys.requestHash,
      JSON.stringify(lead.body),
    ],
  );
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
      await m.query(`INSERT INTO lead_intakes (case_id, channel_id, kind, matched_on) VALUES ($1,$2,'duplicate',$3)`, [
        existing.id,
        req.channelId,
        existing.matched_on,
      ]);
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
