import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { idempotencyOwner, type Actor } from '../../../platform/domain/actor';
import { DomainError } from '../../../platform/domain/errors';
import type { IntakeRequest } from '../schemas/leads';
import type { Config } from '../../../platform/config';
import { ageBand } from '../rules/deidentify';
import { ageOn, parseIdNumber } from '../rules/id-number';
import { normalizeMobile } from '../../../platform/domain/phone';
import { ipRegion, phoneRegion } from '../../../platform/geo';
import { assessSuitability } from '../rules/suitability';
import type { ChannelGrade, LeadStage, RegionLookup } from '../../../platform/domain/types';
import { blindIndex } from '../../../platform/crypto';
import { consentDeadlineFrom, type LeadCaseInput } from '../messages';
import { leadWorkflowId } from '../../../platform/temporal/names';

/** What an intake establishes before it writes: its keys, the channel's admission, the applicant's assessment, the new lead. */

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

/** What identifies this request and this person without their data: the request's hash, the replay scope, blind indexes. */
export interface IntakeKeys {
  requestHash: string;
  scope: string;
  idempotencyKey: string | undefined;
  idIndex: string;
  phoneIndex: string;
  deviceIndex: string | null;
}

/** The applicant as the rules see them: age on the intake day, province, and the suitability verdict. */
export interface AssessedApplicant {
  age: number;
  provinceCode: string;
  suitability: ReturnType<typeof assessSuitability>;
}

/** A case about to be written: its ids, the facts its workflow starts from and the answer the caller gets. */
export interface NewLead {
  caseId: string;
  workflowId: string;
  applicant: AssessedApplicant;
  facts: LeadCaseInput['facts'];
  projectedAtIntake: LeadCaseInput['projectedAtIntake'];
  body: IntakeResult['body'];
}

export function checkChannelCredential(actor: Actor, req: IntakeRequest): void {
  if (actor.role === 'channel' && actor.channelId !== req.channelId) {
    throw new DomainError('channel_mismatch', 'a channel credential submits leads for its own channel only');
  }
}

export function intakeKeys(
  cfg: Config,
  actor: Actor,
  req: IntakeRequest,
  idempotencyKey: string | undefined,
): IntakeKeys {
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

/** The channel's grade, if the channel exists, is not suspended and may ask for this amount. */
export function admitChannel(
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

/**
 * The applicant as the rules see them. The phone's and the IP's regions are looked up here, in the
 * API (the data is loaded once per process), and only their region codes go on: never the phone or
 * the address itself. An address that is not one is refused before anything is stored.
 */
export function assessApplicant(cfg: Config, req: IntakeRequest, now: Date): AssessedApplicant {
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
      phoneLookup: phoneRegion(normalizeMobile(req.applicant.phone)),
      ipLookup: req.context.ip ? lookUpIp(req.context.ip) : { status: 'not_given' },
    },
    cfg.policy,
  );
  if (suitability.refusal === 'minor') {
    // Nothing about a minor is stored: the refusal is the whole answer.
    throw new DomainError('applicant_minor', `applicants under ${cfg.policy.age.minimum} are refused`);
  }
  return { age, provinceCode: id.provinceCode, suitability };
}

function lookUpIp(ip: string): RegionLookup {
  try {
    return ipRegion(ip);
  } catch {
    // The schema admits IP addresses only; this is the last guard. The message never echoes the value.
    throw new DomainError('invalid_ip_address', 'context.ip is not an IP address');
  }
}

export function newLead(
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
