import type { EntityManager } from 'typeorm';
import { DomainError } from '../../../platform/domain/errors';
import type { ChannelGrade, LeadStage } from '../../../platform/domain/types';

/** The reads and writes of lead intake; the intake's story is in ../service/intake. */

export type OpenCase = {
  id: string;
  workflow_id: string;
  stage: LeadStage;
  channel_id: string;
  broker_id: string | null;
  submitted_by: string;
  matched_on: 'id_number' | 'phone';
};
export type StoredAnswer = { request_hash: string; response: unknown };

/**
 * What an intake reads before it writes, in one statement: the stored answer to an earlier request
 * with the same Idempotency-Key, the channel, an open case of the same person (by blind index), and
 * whether the consent notice exists. Each is null when there is none (or nothing was asked).
 */
export async function lookUpForIntake(
  m: EntityManager,
  q: {
    scope: string;
    idempotencyKey?: string;
    channelId: string;
    idIndex: string;
    phoneIndex: string;
    noticeVersion?: string;
  },
): Promise<{
  replay: StoredAnswer | null;
  channel: { grade: ChannelGrade; suspended: boolean } | null;
  openCase: OpenCase | null;
  noticeExists: boolean;
}> {
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
export function replayOf(stored: StoredAnswer, requestHash: string): unknown {
  if (stored.request_hash !== requestHash) {
    throw new DomainError('idempotency_key_reused', 'this Idempotency-Key was already used for a different request');
  }
  return stored.response;
}

export async function findIdempotent(
  m: EntityManager,
  scope: string,
  key: string,
  requestHash: string,
): Promise<unknown | null> {
  const [row] = await m.query('SELECT request_hash, response FROM idempotency_keys WHERE scope = $1 AND key = $2', [
    scope,
    key,
  ]);
  return row ? replayOf(row as StoredAnswer, requestHash) : null;
}

export async function saveIdempotent(
  m: EntityManager,
  scope: string,
  key: string,
  requestHash: string,
  status: number,
  response: unknown,
): Promise<void> {
  await m.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response) VALUES ($1,$2,$3,$4,$5)`,
    [scope, key, requestHash, status, JSON.stringify(response)],
  );
}

export async function findOpenCaseOf(m: EntityManager, idIndex: string, phoneIndex: string) {
  const [row] = await m.query(
    `SELECT id, workflow_id, stage, channel_id, broker_id, submitted_by, CASE WHEN id_index = $1 THEN 'id_number' ELSE 'phone' END AS matched_on
       FROM lead_cases WHERE is_open AND (id_index = $1 OR phone_index = $2) ORDER BY created_at LIMIT 1`,
    [idIndex, phoneIndex],
  );
  return row as OpenCase | undefined;
}

/** A new case's row and everything it owns, as intake writes them. */
export interface NewCaseRow {
  caseId: string;
  workflowId: string;
  channelId: string;
  channelGrade: ChannelGrade;
  vulnerable: boolean;
  local: boolean;
  amountCny: number;
  termMonths: number;
  loanPurpose: string;
  occupation: string;
  ageBand: string;
  provinceCode: string;
  regionPrefix: string;
  ageAtIntake: number;
  regionMismatches: string[];
  idIndex: string;
  phoneIndex: string;
  deviceIndex: string | null;
  submittedBy: string;
  sealed: { masterKeyId: string; wrappedKey: Buffer; sealed: Buffer };
  monthlyIncome: number;
  monthlyDebt: number;
  sla: { dueAt: string; kind: 'consent' } | null;
  projectionSeq: number;
  /** The answer a repeat of this request gets, stored when it came with an Idempotency-Key. */
  answer: { scope: string; key: string | null; requestHash: string; response: unknown };
}

/**
 * The case, everything it owns and the answer to a repeat of this request, in one statement
 * (one round trip while the intake's transaction is open).
 */
export async function insertCase(m: EntityManager, c: NewCaseRow): Promise<void> {
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
      c.caseId,
      c.workflowId,
      c.channelId,
      c.channelGrade,
      c.vulnerable,
      c.local,
      c.amountCny,
      c.termMonths,
      c.loanPurpose,
      c.occupation,
      c.ageBand,
      c.provinceCode,
      c.regionPrefix,
      c.ageAtIntake,
      c.regionMismatches,
      c.idIndex,
      c.phoneIndex,
      c.deviceIndex,
      c.submittedBy,
      c.sealed.masterKeyId,
      c.sealed.wrappedKey,
      c.sealed.sealed,
      c.monthlyIncome,
      c.monthlyDebt,
      c.sla?.dueAt ?? null,
      c.sla?.kind ?? null,
      c.projectionSeq,
      c.answer.scope,
      c.answer.key,
      c.answer.requestHash,
      JSON.stringify(c.answer.response),
    ],
  );
}

/** Another intake of a person who already has an open case. */
export async function insertDuplicateIntake(
  m: EntityManager,
  caseId: string,
  channelId: string,
  matchedOn: OpenCase['matched_on'],
): Promise<void> {
  await m.query(`INSERT INTO lead_intakes (case_id, channel_id, kind, matched_on) VALUES ($1,$2,'duplicate',$3)`, [
    caseId,
    channelId,
    matchedOn,
  ]);
}
