import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { aBroker, aChannel } from './factories';
import { insertCaseRows } from './case-rows';

/**
 * `n` cases that hold every kind of personal data an erasure removes: a sealed identity, its data
 * key, credit facts, blind indexes, a contact note, and a decision and a legal-hold event, each
 * with a free-text reason. The bytes are stand-ins (no workflow reads them); the erasure tests
 * only check what is left.
 */
export async function casesWithPersonalData(
  db: DataSource,
  n: number,
  o: { retentionDueAt?: Date; legalHold?: boolean } = {},
): Promise<string[]> {
  const channel = await aChannel(db);
  const broker = await aBroker(db, channel.team);
  const ids = await insertCaseRows(db, n, { channelId: channel.id, brokerId: broker, outcome: 'lost' });
  await db.query(
    `UPDATE lead_cases SET id_index = 'id-' || id, phone_index = 'phone-' || id, device_index = 'device-' || id, age_at_intake = 35,
       region_mismatches = '{residence}', retention_due_at = $2, legal_hold = $3 WHERE id = ANY($1::uuid[])`,
    [ids, o.retentionDueAt ?? null, o.legalHold ?? false],
  );
  await db.query(`INSERT INTO identities (case_id, sealed) SELECT id, '\\x01'::bytea FROM unnest($1::uuid[]) AS id`, [
    ids,
  ]);
  await db.query(
    `INSERT INTO lead_data_keys (case_id, master_key_id, wrapped_key) SELECT id, 'test', '\\x02'::bytea FROM unnest($1::uuid[]) AS id`,
    [ids],
  );
  await db.query(
    `INSERT INTO credit_facts (case_id, monthly_income, monthly_debt) SELECT id, 20000, 3000 FROM unnest($1::uuid[]) AS id`,
    [ids],
  );
  await db.query(
    `INSERT INTO contact_log (event_id, case_id, broker_id, channel, purpose, outcome, note, local_day, at)
     SELECT 'contact:' || id, id, $2, 'phone', 'service', 'reached', '客户说下周再联系', '2026-01-05', now() FROM unnest($1::uuid[]) AS id`,
    [ids, broker],
  );
  await db.query(
    `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, result, decided_by, decided_at)
     SELECT 'review:' || id, id, 'review', 'B', 'approve', '{"reason": "收入证明已核实", "note": "kept"}'::jsonb, 'r1', now() FROM unnest($1::uuid[]) AS id`,
    [ids],
  );
  await db.query(
    `INSERT INTO legal_hold_events (case_id, hold, reason, actor) SELECT id, false, '诉讼已结，张三案', 'compliance:c1' FROM unnest($1::uuid[]) AS id`,
    [ids],
  );
  return ids;
}

/** An ID that no case has. */
export const aMissingCaseId = (): string => randomUUID();
