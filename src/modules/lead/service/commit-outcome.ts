import type { DataSource } from 'typeorm';
import { rowExists } from '../repository/commit-outcome';

export type CommitOutcome = 'committed' | 'rolled_back' | 'unknown';

/**
 * Whether a transaction that threw did commit after all (the connection died after COMMIT reached
 * the database), asked a few times on a fresh connection by looking for the row it inserted:
 * `table` is one of ours, never input. `unknown` when the database does not answer.
 */
export async function commitOutcome(
  db: Pick<DataSource, 'query'>,
  table: 'lead_cases' | 'complaints',
  id: string,
): Promise<CommitOutcome> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return (await rowExists(db, table, id)) ? 'committed' : 'rolled_back';
    } catch {
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  return 'unknown';
}
