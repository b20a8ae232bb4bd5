import type { DataSource, QueryRunner } from 'typeorm';

/** Any number: the advisory lock's key. */
const SWEEP_TESTS = 20_260_705;

/**
 * A retention sweep acts on every case in the database, so a test file that sweeps, or that relies
 * on due cases staying put, takes this lock around the tests concerned (beforeAll/afterAll of a
 * describe): two files sweeping at once would otherwise take each other's cases.
 */
export async function takeSweepLock(db: DataSource): Promise<() => Promise<void>> {
  const runner: QueryRunner = db.createQueryRunner();
  await runner.connect();
  await runner.query('SELECT pg_advisory_lock($1)', [SWEEP_TESTS]);
  return async () => {
    try {
      await runner.query('SELECT pg_advisory_unlock($1)', [SWEEP_TESTS]);
    } finally {
      await runner.release();
    }
  };
}

/** How long a file may wait for another's sweeps to finish. */
export const SWEEP_LOCK_WAIT_MS = 10 * 60_000;
