import type { DataSource } from 'typeorm';

/** Whether the row `id` is in `table` (one of ours, never input); throws when the database does not answer. */
export async function rowExists(
  db: Pick<DataSource, 'query'>,
  table: 'lead_cases' | 'complaints',
  id: string,
): Promise<boolean> {
  const rows: unknown[] = await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id]);
  return rows.length > 0;
}
