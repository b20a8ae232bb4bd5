import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EntityManager } from 'typeorm';
import type { ChannelGrade, RiskTier } from '../../../platform/domain/types';
import { findCaseRowById } from '../repository/case-writes';

/** The audit actor of what a case's workflow does on its own. */
export const WORKFLOW_ACTOR = { actorSub: 'workflow', actorRole: 'system' };

export interface CaseRow {
  id: string;
  channel_id: string;
  channel_grade: ChannelGrade;
  amount_cny: number;
  term_months: number;
  vulnerable: boolean;
  is_local: boolean;
  province_code: string;
  region_prefix: string;
  age_band: string;
  age_at_intake: number | null;
  id_index: string | null;
  phone_index: string | null;
  device_index: string | null;
  region_mismatches: string[];
  risk_tier: RiskTier | null;
  outcome: string | null;
  created_at: Date;
  erased_at: Date | null;
}

/**
 * An intake starts its workflow inside its transaction, so a first activity may run before the
 * commit: a missing row is worth retrying. But the transaction commits within seconds or never;
 * a row still missing this long after the activity was first scheduled, with the database
 * answering, belongs to an intake that rolled back (its API process could not tell, e.g. the
 * connection died at COMMIT). The workflow then ends instead of waiting for ever.
 */
export const INTAKE_COMMIT_GRACE_MS = 2 * 60_000;

/**
 * When the workflow first asked for this work: the earlier of the activity's first scheduling and
 * the workflow time in its input (`at`). A local activity's scheduled time starts again each time
 * the workflow reschedules it after a back-off timer, so for the case's own writes, which run as
 * local activities, only the time in the input measures the whole wait. Both are the Temporal
 * server's clock compared with the worker's, as for any activity's scheduled time: the grace
 * assumes clocks within seconds of each other (NTP), not minutes.
 */
function firstAskedMs(askedAt: string | undefined): number {
  const scheduled = Context.current().info.scheduledTimestampMs;
  const asked = askedAt === undefined ? Number.NaN : Date.parse(askedAt);
  return Number.isFinite(asked) ? Math.min(scheduled, asked) : scheduled;
}

/** Fails for a case row that is not there: retryable within the intake's grace, final after it. */
export function caseMissing(caseId: string, askedAt?: string): never {
  if (Date.now() - firstAskedMs(askedAt) > INTAKE_COMMIT_GRACE_MS) {
    throw ApplicationFailure.nonRetryable(`case ${caseId} was never committed by its intake`, 'case_never_committed');
  }
  throw ApplicationFailure.retryable(`case ${caseId} is not (yet) in the database`, 'case_not_found');
}

/** The case row; a retryable failure while the intake transaction that wrote it is not yet visible. */
export async function loadCase(m: EntityManager, caseId: string, askedAt?: string): Promise<CaseRow> {
  const row = await findCaseRowById(m, caseId);
  if (!row) caseMissing(caseId, askedAt);
  return row as CaseRow;
}
