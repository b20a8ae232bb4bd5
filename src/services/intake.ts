import { createHash, randomUUID } from 'node:crypto';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { DataSource, EntityManager } from 'typeorm';
import { idempotencyOwner, type Actor } from '../domain/actor';
import { DomainError } from '../domain/errors';
import type { IntakeRequest } from '../api/schemas';
import type { Config } from '../config';
import { appendAudit } from '../db/audit';
import { ageBand, regionPrefix } from '../domain/deidentify';
import { ageOn, parseIdNumber } from '../domain/id-number';
import { normalizeMobile } from '../domain/phone';
import { assessSuitability } from '../domain/suitability';
import type { ChannelGrade, LeadStage } from '../domain/types';
import { blindIndex, keyringFrom, sealForCase } from '../infra/crypto';
import { NoSlotError, Slots } from '../infra/slots';
import { mayRead } from './cases';
import { commitOutcome } from './commit-outcome';
import { TEMPORAL_CALL_MS, verifiedSignalArg, withDeadline } from './temporal-calls';
import { consentDeadlineFrom, duplicateIntakeSignal, intakeUnconfirmedSignal, type LeadCaseInput } from '../workflows/messages';
import { leadWorkflowId } from '../temporal/names';
import {
  AmountCnyKey,
  ChannelIdKey,
  ConsentStateKey,
  LeadStageKey,
  SlaDueAtKey,
  VulnerableKey,
} from '../temporal/search-attributes';

export interface IntakeDeps {
  cfg: Config;
  db: DataSource;
  temporal: Client;
}

export interface IntakeResult {
  status: 200 | 201;
  /** The case is named only to a caller who may read it: a duplicate of another channel's or broker's case is answered with nulls. */
  body: { caseId: string | null; workflowId: string | null; stage: LeadStage | null; duplicate: boolean; replayed?: boolean };
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
export async function submitLead(deps: IntakeDeps, actor: Actor, req: IntakeRequest, idempotencyKey?: string): Promise<IntakeResult> {
  const { cfg, db } = deps;
  if (actor.role === 'channel' && actor.channelId !== req.channelId) {
    throw new DomainError('channel_mismatch', 'a channel credential submits leads for its own channel only');
  }

  const requestHash = createHash('sha256').update(JSON.stringify(req)).digest('hex');
  const scope = `intake:${idempotencyOwner(actor)}`;
  const indexKey = Buffer.from(cfg.BLIND_INDEX_KEY, 'base64');
  const idIndex = blindIndex('id', req.applicant.idNumber.toUpperCase(), indexKey);
  const phoneIndex = blindIndex('phone', normalizeMobile(req.applicant.phone), indexKey);
  const deviceIndex = req.context.deviceId ? blindIndex('device', req.context.deviceId, indexKey) : null;

  // Everything intake must know before it writes, in one round trip; then checked in order.
  const known = await lookUpForIntake(db.manager, { scope, idempotencyKey, channelId: req.channelId, idIndex, phoneIndex, noticeVersion: req.consent?.noticeVersion });
  if (known.replay) return { status: 200, body: { ...(replayOf(known.replay, requestHash) as IntakeResult['body']), replayed: true } };

  const channel = known.channel;
  if (!channel) throw new DomainError('unknown_channel', `channel ${req.channelId} does not exist`);
  if (channel.suspended) throw new DomainError('channel_suspended', `channel ${req.channelId} is suspended and may not submit leads`);
  const grade = channel.grade;
  const maxAmount = cfg.policy.maxAmountByGrade[grade];
  if (req.request.amount > maxAmount) {
    throw new DomainError('amount_above_channel_limit', `a ${grade} channel's leads may ask for at most ${maxAmount} CNY`, { maxAmount });
  }

  const now = new Date();
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
  if (req.consent && !known.noticeExists) throw unknownNotice(req.consent.noticeVersion);

  if (known.openCase) return joinExisting(deps, actor, req, known.openCase, scope, idempotencyKey, requestHash);

  const caseId = randomUUID();
  const workflowId = leadWorkflowId(caseId);
  const facts: LeadCaseInput['facts'] = {
    channelId: req.channelId,
    channelGrade: grade,
    amountCny: req.request.amount,
    termMonths: req.request.termMonths,
    loanPurpose: req.request.purpose,
    ageBand: ageBand(age),
    provinceCode: id.provinceCode,
    vulnerable: suitability.vulnerable,
    local: suitability.local,
  };
  const body: IntakeResult['body'] = { caseId, workflowId, stage: 'awaiting_consent', duplicate: false };
  // A lead without consent waits for it: its first projection, with the consent deadline, is
  // written here with the row, so its workflow's first task only starts the deadline's timer.
  const projectedAtIntake: LeadCaseInput['projectedAtIntake'] = req.consent ? undefined : { consentDeadline: consentDeadlineFrom(now.getTime(), cfg.policy) };

  try {
    await intakeSlotsFor(db).run(() => db.transaction(async (m) => {
      const identity: StoredIdentity = {
        name: req.applicant.name,
        idNumber: req.applicant.idNumber.toUpperCase(),
        phone: normalizeMobile(req.applicant.phone),
        residenceRegion: req.applicant.residenceRegion,
        deviceId: req.context.deviceId ?? null,
        ip: req.context.ip ?? null,
      };
      const sealed = sealForCase(caseId, identity, keyringFrom(cfg.MASTER_KEY_ID, cfg.MASTER_KEY, cfg.MASTER_OLD_KEYS));
      // The case, everything it owns and the answer to a repeat of this request, in one statement
      // (one round trip while the transaction is open).
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
          caseId, workflowId, req.channelId, grade, suitability.vulnerable, suitability.local, req.request.amount, req.request.termMonths,
          req.request.purpose, req.applicant.occupation, ageBand(age), id.provinceCode, regionPrefix(req.applicant.residenceRegion), age,
          suitability.mismatches, idIndex, phoneIndex, deviceIndex, `${actor.role}:${actor.sub}`,
          sealed.masterKeyId, sealed.wrappedKey, sealed.sealed, req.applicant.monthlyIncome, req.applicant.monthlyDebt,
          projectedAtIntake?.consentDeadline.dueAt ?? null, projectedAtIntake ? 'consent' : null, projectedAtIntake ? 1 : 0,
          scope, idempotencyKey ?? null, requestHash, JSON.stringify(body),
        ],
      );
      // Started inside the transaction: if Temporal refuses, the rows roll back and the caller can retry.
      await startCaseWorkflow(deps, { caseId, facts, submittedBy: `${actor.role}:${actor.sub}`, consentAtIntake: req.consent, policy: cfg.policy, projectedAtIntake });
      // Last, just before commit: the audit chain's lock is then held for as short a time as possible.
      await appendAudit(m, {
        actorSub: actor.sub, actorRole: actor.role, action: 'lead.intake', targetType: 'lead_case', targetId: caseId,
        details: { channelId: req.channelId, vulnerable: suitability.vulnerable, local: suitability.local, consentAtIntake: req.consent?.purposes ?? [] },
      });
    }), INTAKE_SLOT_WAIT_MS);
  } catch (err) {
    // Nothing was stored or started: the intake never had its turn.
    if (err instanceof NoSlotError) {
      throw new DomainError('intake_busy', 'too many intakes are waiting on the workflow engine; nothing was stored, retry later', { retryable: true });
    }
    const outcome = await commitOutcome(db, 'lead_cases', caseId);
    // A commit whose answer was lost on the way back (the connection dropped after COMMIT): the case exists.
    if (outcome === 'committed') return { status: 201, body };
    // The rows rolled back: a workflow this intake started must not outlive them. When the database
    // cannot say, the workflow stays: losing a committed case is worse than a workflow that waits
    // (its next write retries until the row is there, and ends it with case_never_committed if the
    // row never comes). Bounded like the start: a Temporal that does not answer must not keep the
    // caller waiting.
    if (outcome === 'rolled_back') {
      await temporalCall(deps, () => deps.temporal.workflow.getHandle(workflowId).terminate('intake transaction rolled back')).catch(() => undefined);
    }
    // A case projected here writes nothing of its own until consent comes: have it write now.
    if (outcome === 'unknown' && projectedAtIntake) {
      await temporalCall(deps, () => deps.temporal.workflow.getHandle(workflowId).signal(intakeUnconfirmedSignal, verifiedSignalArg(workflowId, intakeUnconfirmedSignal.name, actor, {})))
        .catch(() => undefined);
    }
    if ((err as { code?: string }).code === PG_UNIQUE_VIOLATION) {
      // Another intake of the same person won the race: join their case.
      const replay = idempotencyKey ? await findIdempotent(db.manager, scope, idempotencyKey, requestHash) : null;
      if (replay) return { status: 200, body: { ...(replay as IntakeResult['body']), replayed: true } };
      const winner = await findOpenCaseOf(db.manager, idIndex, phoneIndex);
      if (winner) return joinExisting(deps, actor, req, winner, scope, idempotencyKey, requestHash);
    }
    throw err;
  }
  return { status: 201, body };
}

/** Every call intake makes to Temporal has a deadline: the caller is waiting. */
const temporalCall = <T>(deps: IntakeDeps, call: () => Promise<T>): Promise<T> => withDeadline(deps.temporal, TEMPORAL_CALL_MS, call);

async function startCaseWorkflow(deps: IntakeDeps, input: LeadCaseInput): Promise<void> {
  const f = input.facts;
  try {
    // Bounded: the caller is waiting, and the open transaction holds its rows' locks.
    await temporalCall(deps, () => deps.temporal.workflow.start('leadCase', {
      workflowId: leadWorkflowId(input.caseId),
      taskQueue: deps.cfg.TEMPORAL_TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: LeadStageKey, value: 'awaiting_consent' },
        { key: ChannelIdKey, value: f.channelId },
        { key: ConsentStateKey, value: 'none' },
        { key: VulnerableKey, value: f.vulnerable },
        { key: AmountCnyKey, value: f.amountCny },
        ...(input.projectedAtIntake ? [{ key: SlaDueAtKey, value: new Date(input.projectedAtIntake.consentDeadline.dueAt) }] : []),
      ],
      staticSummary: `Lead case · ${f.channelId} · ${f.amountCny} CNY over ${f.termMonths} months · ${f.loanPurpose}`,
      staticDetails: `Age band ${f.ageBand}, province ${f.provinceCode}, ${f.local ? 'local' : 'non-local'}${f.vulnerable ? ', vulnerable (no marketing, review path B)' : ''}. Channel grade ${f.channelGrade}.`,
        }));
  } catch {
    throw new DomainError('temporal_unavailable', 'the workflow engine is unreachable; nothing was stored, retry later', { retryable: true });
  }
}

async function findOpenCaseOf(m: EntityManager, idIndex: string, phoneIndex: string) {
  const [row] = await m.query(
    `SELECT id, workflow_id, stage, channel_id, broker_id, submitted_by, CASE WHEN id_index = $1 THEN 'id_number' ELSE 'phone' END AS matched_on
       FROM lead_cases WHERE is_open AND (id_index = $1 OR phone_index = $2) ORDER BY created_at LIMIT 1`,
    [idIndex, phoneIndex],
  );
  return row as OpenCase | undefined;
}

async function joinExisting(
  deps: IntakeDeps,
  actor: Actor,
  req: IntakeRequest,
  existing: NonNullable<Awaited<ReturnType<typeof findOpenCaseOf>>>,
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
      await m.query(`INSERT INTO lead_intakes (case_id, channel_id, kind, matched_on) VALUES ($1,$2,'duplicate',$3)`, [existing.id, req.channelId, existing.matched_on]);
      if (idempotencyKey) await saveIdempotent(m, scope, idempotencyKey, requestHash, 200, body);
      await appendAudit(m, {
        actorSub: actor.sub, actorRole: actor.role, action: 'lead.duplicate_joined', targetType: 'lead_case', targetId: existing.id,
        details: { channelId: req.channelId, matchedOn: existing.matched_on },
      });
    });
  } catch (err) {
    // The same Idempotency-Key arrived twice at once: the other request recorded the answer.
    const replay = (err as { code?: string }).code === PG_UNIQUE_VIOLATION && idempotencyKey ? await findIdempotent(deps.db.manager, scope, idempotencyKey, requestHash) : null;
    if (replay) return { status: 200, body: { ...(replay as IntakeResult['body']), replayed: true } };
    throw err;
  }
  const signal = verifiedSignalArg(existing.workflow_id, duplicateIntakeSignal.name, actor, { channelId: req.channelId });
  await temporalCall(deps, () => deps.temporal.workflow.getHandle(existing.workflow_id).signal(duplicateIntakeSignal, signal))
    .catch(() => undefined); // informational only; the intake row is the record
  return { status: 200, body };
}

const unknownNotice = (version: string) => new DomainError('unknown_notice_version', `consent notice version ${version} does not exist`);

type OpenCase = {
  id: string; workflow_id: string; stage: LeadStage; channel_id: string; broker_id: string | null; submitted_by: string; matched_on: 'id_number' | 'phone';
};
type StoredAnswer = { request_hash: string; response: unknown };

/**
 * What an intake reads before it writes, in one statement: the stored answer to an earlier request
 * with the same Idempotency-Key, the channel, an open case of the same person (by blind index), and
 * whether the consent notice exists. Each is null when there is none (or nothing was asked).
 */
async function lookUpForIntake(
  m: EntityManager,
  q: { scope: string; idempotencyKey?: string; channelId: string; idIndex: string; phoneIndex: string; noticeVersion?: string },
): Promise<{ replay: StoredAnswer | null; channel: { grade: ChannelGrade; suspended: boolean } | null; openCase: OpenCase | null; noticeExists: boolean }> {
  const [row] = await m.query(
    `SELECT
       (SELECT json_build_object('request_hash', request_hash, 'response', response) FROM idempotency_keys WHERE scope = $1 AND key = $2) AS replay,
       (SELECT json_build_object('grade', grade, 'suspended', suspended) FROM channels WHERE id = $3) AS channel,
       (SELECT json_build_object('id', id, 'workflow_id', workflow_id, 'stage', stage, 'channel_id', channel_id, 'broker_id', broker_id,
                                 'submitted_by', submitted_by, 'matched_on', CASE WHEN id_index = $4 THEN 'id_number' ELSE 'phone' END)
          FROM lead_cases WHERE is_open AND (id_index = $4 OR phone_index = $5) ORDER BY created_at LIMIT 1) AS open_case,
       EXISTS (SELECT 1 FROM consent_notices WHERE version = $6) AS notice_exists`,
    [q.scope, q.idempotencyKey ?? null, q.channelId, q.idIndex, q.phoneIndex, q.noticeVersion ?? null],
  );
  return { replay: row.replay, channel: row.channel, openCase: row.open_case, noticeExists: row.notice_exists };
}

/** The stored answer, if this is the request it answered; a key reused for another request is refused. */
function replayOf(stored: StoredAnswer, requestHash: string): unknown {
  if (stored.request_hash !== requestHash) {
    throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
  }
  return stored.response;
}

export async function findIdempotent(m: EntityManager, scope: string, key: string, requestHash: string): Promise<unknown | null> {
  const [row] = await m.query('SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2', [scope, key]);
  return row ? replayOf(row as StoredAnswer, requestHash) : null;
}

export async function saveIdempotent(m: EntityManager, scope: string, key: string, requestHash: string, status: number, response: unknown): Promise<void> {
  await m.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response) VALUES ($1,$2,$3,$4,$5)`,
    [scope, key, requestHash, status, JSON.stringify(response)],
  );
}
