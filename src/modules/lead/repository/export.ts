import type { DataSource } from 'typeorm';

/** The SQL of the data-subject copy: the case's rows in other tables; ../service/export assembles them. */

type Row = Record<string, unknown>;

const byCase = (db: DataSource, sql: string, caseId: string): Promise<Row[]> => db.query(sql, [caseId]);

export const findCreditFacts = (db: DataSource, caseId: string) =>
  byCase(
    db,
    'SELECT monthly_income AS "monthlyIncome", monthly_debt AS "monthlyDebt" FROM credit_facts WHERE case_id = $1',
    caseId,
  );

/** Consents granted and withdrawn (lender_sharing per lender), each with the hash of the notice it was given under. */
export const findConsents = (db: DataSource, caseId: string) =>
  byCase(
    db,
    `SELECT c.purpose, c.lender_id AS "lenderId", c.action, c.notice_version AS "noticeVersion", n.content_hash AS "noticeHash", c.source, c.at
         FROM consents c LEFT JOIN consent_notices n ON n.version = c.notice_version WHERE c.case_id = $1 ORDER BY c.id`,
    caseId,
  );

export const findExportedDecisions = (db: DataSource, caseId: string) =>
  byCase(
    db,
    'SELECT kind, tier, outcome, rules_fired AS "rulesFired", inputs, result, decided_by AS "decidedBy", decided_at AS "decidedAt" FROM decisions WHERE case_id = $1 ORDER BY id',
    caseId,
  );

export const findContactLog = (db: DataSource, caseId: string) =>
  byCase(
    db,
    'SELECT broker_id AS "brokerId", channel, purpose, outcome, note, at FROM contact_log WHERE case_id = $1 ORDER BY id',
    caseId,
  );

export const findIntakes = (db: DataSource, caseId: string) =>
  byCase(
    db,
    'SELECT channel_id AS "channelId", kind, matched_on AS "matchedOn", at FROM lead_intakes WHERE case_id = $1 ORDER BY id',
    caseId,
  );

export const findErasureRecord = (db: DataSource, caseId: string) =>
  byCase(
    db,
    'SELECT reason, erased_at AS "erasedAt", evidence_hash AS "evidenceHash", facts FROM erasure_records WHERE case_id = $1',
    caseId,
  );

/** The ids of the complaints about the case, in the order they were filed. */
export const findComplaintIdsOfCase = (db: DataSource, caseId: string): Promise<{ id: string }[]> =>
  db.query('SELECT id FROM complaints WHERE case_id = $1 ORDER BY filed_at, id', [caseId]);
