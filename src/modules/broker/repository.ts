import type { EntityManager } from 'typeorm';

// The SQL of brokers; service.ts holds the checks, the hand-over and the audit.

type Queryable = Pick<EntityManager, 'query'>;

/** Whether the broker is active, or undefined when there is no such broker. */
export async function findBrokerActive(db: Queryable, brokerId: string): Promise<{ active: boolean } | undefined> {
  const [broker] = await db.query('SELECT active FROM brokers WHERE id = $1', [brokerId]);
  return broker;
}

/** As findBrokerActive, the row locked for the rest of the transaction. */
export async function lockBrokerActive(m: Queryable, brokerId: string): Promise<{ active: boolean } | undefined> {
  const [before] = await m.query('SELECT active FROM brokers WHERE id = $1 FOR UPDATE', [brokerId]);
  return before;
}

/** Marks the broker inactive; false when there is no such broker. */
export async function deactivateBroker(db: Queryable, brokerId: string): Promise<boolean> {
  const [broker] = await db.query(
    'WITH u AS (UPDATE brokers SET active = false WHERE id = $1 RETURNING id) SELECT id FROM u',
    [brokerId],
  );
  return Boolean(broker);
}

/** How many open cases are assigned to the broker. */
export async function countOpenCasesOf(db: Queryable, brokerId: string): Promise<number> {
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM lead_cases WHERE broker_id = $1 AND is_open', [
    brokerId,
  ]);
  return n;
}

/** Creates the broker or replaces its name, team and whether it is active. */
export async function upsertBroker(
  m: Queryable,
  b: { id: string; displayName: string; team: string | null | undefined; active: boolean },
): Promise<void> {
  await m.query(
    `INSERT INTO brokers (id, display_name, team, active) VALUES ($1,$2,$3,$4)
       ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, team = EXCLUDED.team, active = EXCLUDED.active`,
    [b.id, b.displayName, b.team, b.active],
  );
}
