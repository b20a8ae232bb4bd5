import type { DataSource } from 'typeorm';

/** Whether Postgres answers a trivial query; the caller bounds how long it waits. */
export async function pingDatabase(db: DataSource): Promise<void> {
  await db.query('SELECT 1');
}
