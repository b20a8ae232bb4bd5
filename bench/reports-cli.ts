/**
 * `npx tsx bench/reports-cli.ts [--cases N] [--runs N]`: figure 6 alone, on an embedded Postgres
 * of its own (or DATABASE_URL), for tuning the report queries without the rest of the bench.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres';
import { reportsAtScale } from './reports';
import { figureTable } from './stats';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { cases: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' } },
  });
  const log = (line: string) => process.stdout.write(`${line}\n`);
  let url = process.env.DATABASE_URL;
  let stop = async () => undefined as void;
  if (!url) {
    const dir = mkdtempSync(join(tmpdir(), 'lead-engine-reports-'));
    chmodSync(dir, 0o755);
    const pg = await startEmbeddedPostgres({
      dataDir: join(dir, 'pg'),
      port: 54000 + Math.floor(Math.random() * 900),
      database: 'leads_reports_admin',
      persistent: false,
    });
    url = pg.url;
    stop = async () => {
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    };
  }
  try {
    const { rows } = await reportsAtScale(url, { cases: Number(values.cases), runs: Number(values.runs) }, log);
    log(figureTable(rows));
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
