import type { EntityManager } from 'typeorm';

// The SQL of the automated decisions (../activities/decisions.ts): pre-screen and matching, keyed by eventId.

type Queryable = Pick<EntityManager, 'query'>;

/** The decision stored for this event, if any. */
export async function findDecisionByEvent(m: Queryable, eventId: string): Promise<unknown> {
  const [row] = await m.query('SELECT tier, rules_fired, result FROM decisions WHERE event_id = $1', [eventId]);
  return row;
}

/** Leads from the device in the 24 hours before `at` (and a minute after). */
export async function countDeviceLeads(db: Queryable, deviceIndex: string, at: string): Promise<{ n: number }> {
  const [device] = await db.query(
    `SELECT count(*)::int AS n FROM lead_cases WHERE device_index = $1 AND created_at > $2::timestamptz - interval '24 hours' AND created_at <= $2::timestamptz + interval '1 minute'`,
    [deviceIndex, at],
  );
  return device;
}

/** Lenders the person applied to in the `days` before `at`. */
export async function countLendersAppliedTo(
  db: Queryable,
  idIndex: string,
  at: string,
  days: number,
): Promise<{ n: number }> {
  const [lenders] = await db.query(
    `SELECT count(DISTINCT lender_id)::int AS n FROM lender_applications WHERE id_index = $1 AND applied_at > $2::timestamptz - make_interval(days => $3)`,
    [idIndex, at, days],
  );
  return lenders;
}

/** How many of these blind indexes are blacklisted. */
export async function countBlacklisted(db: Queryable, indexes: (string | null)[]): Promise<{ n: number }> {
  const [black] = await db.query('SELECT count(*)::int AS n FROM blacklist_entries WHERE blind_index = ANY($1)', [
    indexes,
  ]);
  return black;
}

export async function findCreditFacts(
  db: Queryable,
  caseId: string,
): Promise<{ monthly_income: number; monthly_debt: number } | undefined> {
  const [facts] = await db.query('SELECT monthly_income, monthly_debt FROM credit_facts WHERE case_id = $1', [caseId]);
  return facts;
}

/** A pre-screen decision, in the column order of the insert below. */
export type PrescreenValues = [
  eventId: string,
  caseId: string,
  tier: string,
  outcome: string,
  rulesFired: string,
  inputs: string,
  result: string,
  at: string,
];

/** Records the pre-screen once per eventId; says whether this call inserted it. */
export async function insertPrescreenDecision(m: Queryable, values: PrescreenValues): Promise<boolean> {
  const inserted = await m.query(
    `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, rules_fired, inputs, result, decided_by, decided_at)
           VALUES ($1,$2,'prescreen',$3,$4,$5,$6,$7,'automated_prescreen',$8) ON CONFLICT (event_id) DO NOTHING RETURNING 1`,
    values,
  );
  return inserted.length > 0;
}

export async function flagCaseFraud(m: Queryable, caseId: string): Promise<void> {
  await m.query('UPDATE lead_cases SET fraud_flagged = true WHERE id = $1', [caseId]);
}

/** Every product with its lender's licence, activity, type and partner listing. */
export async function findProductsWithLenders(db: Queryable): Promise<Record<string, unknown>[]> {
  return db.query(
    `SELECT p.*, l.licensed AS lender_licensed, l.active AS lender_active, l.type AS lender_type, l.partner_listed,
            to_char(l.partner_listed_since, 'YYYY-MM-DD') AS partner_listed_since,
            to_char(l.partner_listed_until, 'YYYY-MM-DD') AS partner_listed_until
       FROM products p JOIN lenders l ON l.id = p.lender_id`,
  );
}

/** A match decision, in the column order of the insert below. */
export type MatchValues = [
  eventId: string,
  caseId: string,
  tier: string,
  outcome: string,
  excluded: string,
  inputs: string,
  result: string,
  at: string,
];

/** Records the match once per eventId. */
export async function insertMatchDecision(m: Queryable, values: MatchValues): Promise<void> {
  await m.query(
    `INSERT INTO decisions (event_id, case_id, kind, tier, outcome, rules_fired, inputs, result, decided_by, decided_at)
           VALUES ($1,$2,'match',$3,$4,$5,$6,$7,'automated_matching',$8) ON CONFLICT (event_id) DO NOTHING`,
    values,
  );
}
