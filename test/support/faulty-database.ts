import type { DataSource } from 'typeorm';

/** Runs `work` in a transaction of the real database, ends it with `end`, then reports a dropped connection. */
function droppingAtCommit(db: DataSource, end: 'commit' | 'rollback', laterQueries: 'answer' | 'refuse'): DataSource {
  let lost = false; // set once a COMMIT was lost: the queries before it (authentication's lookups) are answered
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'transaction') {
        return async (work: (m: DataSource['manager']) => Promise<unknown>) => {
          const runner = target.createQueryRunner();
          await runner.connect();
          await runner.startTransaction();
          try {
            await work(runner.manager);
          } catch (err) {
            await runner.rollbackTransaction();
            throw err;
          } finally {
            if (runner.isTransactionActive)
              await (end === 'commit' ? runner.commitTransaction() : runner.rollbackTransaction());
            await runner.release();
          }
          lost = true;
          throw new Error('Connection terminated unexpectedly');
        };
      }
      if (prop === 'query' && laterQueries === 'refuse' && lost)
        return async () => Promise.reject(new Error('connect ECONNREFUSED'));
      return Reflect.get(target, prop, receiver);
    },
  });
}

/**
 * The real database, except that every transaction loses its COMMIT (rolled back, and the caller
 * told the connection dropped) and no later query gets an answer: the caller cannot tell whether
 * its rows were stored.
 */
export const losingCommits = (db: DataSource): DataSource => droppingAtCommit(db, 'rollback', 'refuse');

/** The real database, except that each transaction's COMMIT lands and its answer is lost: the caller is told the connection dropped. */
export const losingCommitAnswers = (db: DataSource): DataSource => droppingAtCommit(db, 'commit', 'answer');
