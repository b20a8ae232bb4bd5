import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

export interface CaseRowOptions {
  channelId: string;
  tier?: 'A' | 'B' | 'C' | null;
  outcome?: 'submitted' | 'approved' | 'lender_declined' | 'customer_declined' | 'lost' | null;
  fraud?: boolean;
  createdAt?: Date;
  brokerId?: string | null;
  consent?: 'none' | 'granted';
}

/**
 * Case rows as the projection holds them once a case has run its course: known history for the
 * report and grading tests, with no workflow and no personal data behind them (reports read only
 * the projection). Returns the case IDs.
 */
export async function insertCaseRows(db: DataSource, n: number, o: CaseRowOptions): Promise<string[]> {
  const ids = Array.from({ length: n }, () => randomUUID());
  const tier = o.tier === undefined ? 'A' : o.tier;
  const closed = o.outcome && o.outcome !== 'submitted';
  await db.query(
    `INSERT INTO lead_cases (id, workflow_id, channel_id, channel_grade, stage, is_open, risk_tier, broker_id, consent_state, vulnerable, is_local,
                             amount_cny, term_months, loan_purpose, occupation, age_band, province_code, region_prefix, outcome, fraud_flagged, created_at)
     SELECT id, 'lead-' || id, $2, 'general', $3, $4, $5, $6, $7, false, true, 100000, 24, 'consumption', 'salaried', '30-39', '11', '1101', $8, $9, $10
       FROM unnest($1::uuid[]) AS id`,
    [
      ids,
      o.channelId,
      closed ? 'closed' : tier === null ? 'awaiting_consent' : 'follow_up',
      !closed,
      tier,
      o.brokerId ?? null,
      o.consent ?? (tier === null ? 'none' : 'granted'),
      o.outcome ?? null,
      o.fraud ?? false,
      o.createdAt ?? new Date(),
    ],
  );
  return ids;
}
