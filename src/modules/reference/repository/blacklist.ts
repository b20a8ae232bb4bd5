import type { DataSource, EntityManager } from 'typeorm';

/** The SQL of the blacklist (keyed blind indexes, never the numbers); ../service/compliance-data weighs the reasons. */

/** Lists the index unless it is listed already; says whether it was inserted. */
export async function insertBlacklistEntryIfAbsent(m: EntityManager, index: string, reason: string): Promise<boolean> {
  const inserted: unknown[] = await m.query(
    'INSERT INTO blacklist_entries (blind_index, reason) VALUES ($1, $2) ON CONFLICT (blind_index) DO NOTHING RETURNING 1',
    [index, reason],
  );
  return inserted.length > 0;
}

/** The listing's reason, its row locked for update until the transaction ends. */
export async function lockBlacklistEntry(m: EntityManager, index: string): Promise<{ reason: string } | undefined> {
  const [row] = await m.query('SELECT reason FROM blacklist_entries WHERE blind_index = $1 FOR UPDATE', [index]);
  return row;
}

export async function updateBlacklistReason(m: EntityManager, index: string, reason: string): Promise<void> {
  await m.query('UPDATE blacklist_entries SET reason = $2 WHERE blind_index = $1', [index, reason]);
}

export async function deleteBlacklistEntry(m: EntityManager, index: string): Promise<void> {
  await m.query('DELETE FROM blacklist_entries WHERE blind_index = $1', [index]);
}

export async function findBlacklistEntries(
  db: DataSource,
  indexes: string[],
): Promise<{ blind_index: string; reason: string; added_at: Date }[]> {
  return db.query('SELECT blind_index, reason, added_at FROM blacklist_entries WHERE blind_index = ANY($1)', [indexes]);
}
