/**
 * A process that owns its signals, like `npm run dev`: it starts an embedded Postgres with
 * `ownSignals`, and on SIGTERM first "drains" (waits, then checks that Postgres still answers), and
 * only then stops Postgres and exits 0. Prints `ready`, then `drained, postgres up` and `stopped`.
 * On SIGINT it stops Postgres at once (which may have exited already) and prints `stopped`.
 *
 * Usage: node --import tsx test/support/signal-owner.ts <dataDir> <port>
 */
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded-postgres';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  const pg = await startEmbeddedPostgres({
    dataDir,
    port: Number(port),
    database: 'signals',
    persistent: false,
    ownSignals: true,
  });
  process.once('SIGTERM', () => {
    void (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const client = new Client({ connectionString: pg.url });
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      process.stdout.write('drained, postgres up\n');
      await pg.stop();
      process.stdout.write('stopped\n');
      process.exit(0);
    })().catch((err: Error) => {
      process.stderr.write(`shutdown failed: ${err.message}\n`);
      process.exit(1);
    });
  });
  process.once('SIGINT', () => {
    void pg.stop().then(() => {
      process.stdout.write('stopped\n');
      process.exit(0);
    });
  });
  process.stdout.write('ready\n');
}

main().catch((err: Error) => {
  process.stderr.write(`start failed: ${err.message}\n`);
  process.exit(1);
});
