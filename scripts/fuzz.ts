/**
 * `npm run test:fuzz`: a schema-driven fuzz run (schemathesis, pinned, installed into .tools/fuzz)
 * against the real API, worker, Temporal dev server and embedded Postgres. It passes when no
 * request gets a 5xx and every response conforms to /openapi.json.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createApp } from '../src/api/app';
import { signToken } from '../src/platform/http/auth';
import { loadConfig } from '../src/platform/config';
import { LOCAL_APP_ROLE, migrateDatabase, openDatabase, withRole } from '../src/platform/db/data-source';
import { seedDemoData } from '../src/modules/reference/demo-seed';
import type { Role } from '../src/platform/domain/types';
import { startEmbeddedPostgres } from '../src/platform/db/embedded-postgres';
import { createLogger } from '../src/platform/logger';
import { projectRoot } from '../src/platform/temporal/binaries';
import { startTemporalDevServer } from '../src/platform/temporal/dev-server';
import { createLeadWorker } from '../src/worker/worker';
import { dataConverterFor } from '../src/platform/temporal/connection';

const secondsPerRole = Number(process.env.FUZZ_SECONDS_PER_ROLE ?? 45);
const roles: Role[] = ['manager', 'admin', 'compliance', 'broker', 'risk_officer', 'channel'];

function schemathesis(): string {
  const version = JSON.parse(readFileSync(join(projectRoot, 'scripts/fuzz-versions.json'), 'utf8')).schemathesis;
  const venv = join(projectRoot, '.tools', 'fuzz');
  const st = join(venv, 'bin', 'st');
  const probe = existsSync(st) ? spawnSync(st, ['--version'], { encoding: 'utf8' }).stdout : '';
  if (!probe.includes(version)) {
    console.log(`[fuzz] installing schemathesis ${version} into .tools/fuzz`);
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(
      join(venv, 'bin', 'python'),
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${version}`],
      { stdio: 'inherit' },
    );
  }
  return st;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = netServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** One schemathesis run against the API as the token's role; its exit status. */
function runSchemathesis(st: string, base: string, token: string): Promise<number | null> {
  // Asynchronous: the API under test runs in this very process and must keep answering.
  return new Promise<number | null>((resolve) => {
    const child = spawn(
      st,
      [
        'run',
        `${base}/openapi.json`,
        '--header',
        `Authorization: Bearer ${token}`,
        '--checks',
        'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance',
        '--phases',
        'examples,coverage,fuzzing',
        '--max-time',
        String(secondsPerRole),
        '--workers',
        '1',
        '--suppress-health-check',
        'all',
        '--warnings',
        'off',
      ],
      { stdio: 'inherit', env: { ...process.env, SCHEMATHESIS_TELEMETRY: 'false' } },
    );
    child.once('exit', (code) => resolve(code));
  });
}

async function main() {
  const st = schemathesis();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const root = mkdtempSync(join(tmpdir(), 'lead-engine-fuzz-'));
  chmodSync(root, 0o755);
  const policyFile = join(root, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ contact: { quietHoursStart: '00:00', quietHoursEnd: '00:00' } }));
  const [pg, temporal] = await Promise.all([
    startEmbeddedPostgres({
      dataDir: join(root, 'pg'),
      port: await freePort(),
      database: 'leads_fuzz',
      persistent: false,
    }),
    startTemporalDevServer({ port: await freePort() }),
  ]);
  let exitCode: number;
  try {
    // Migrations as the owner; the service under test as its DML-only role, as in production.
    const appUrl = withRole(pg.url, LOCAL_APP_ROLE.user, LOCAL_APP_ROLE.password);
    await migrateDatabase(pg.url, appUrl);
    const cfg = loadConfig({
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: appUrl,
      TEMPORAL_ADDRESS: temporal.address,
      POLICY_FILE: policyFile,
      RATE_LIMIT_PER_MINUTE: '100000',
      REFUSALS_PER_MINUTE: '100000',
    });
    const db = await openDatabase(cfg.DATABASE_URL, { poolMax: 20, audit: cfg });
    await seedDemoData(db);
    const client = new Client({
      connection: await Connection.connect({ address: cfg.TEMPORAL_ADDRESS }),
      dataConverter: dataConverterFor(cfg),
    });
    const worker = await createLeadWorker({
      cfg,
      db,
      connection: await NativeConnection.connect({ address: cfg.TEMPORAL_ADDRESS }),
    });
    const running = worker.run();
    const server = createServer(createApp({ cfg, db, temporal: client, logger: createLogger('api', 'silent') }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const failures: Role[] = [];
    for (const role of roles) {
      const token = await signToken(cfg, {
        sub: role === 'broker' ? 'b-east-1' : `fuzz-${role}`,
        role,
        channelId: role === 'channel' ? 'ch-online-ads' : undefined,
      });
      console.log(`\n[fuzz] as ${role}, ${secondsPerRole}s`);
      const status = await runSchemathesis(st, base, token);
      if (status !== 0) failures.push(role);
    }
    console.log(
      failures.length
        ? `\n[fuzz] failed as: ${failures.join(', ')}`
        : '\n[fuzz] no 5xx, every response within the spec',
    );
    exitCode = failures.length ? 1 : 0;

    server.close();
    server.closeAllConnections();
    worker.shutdown();
    await running;
    await client.connection.close();
    await db.destroy();
  } finally {
    await temporal.stop();
    await pg.stop();
    rmSync(root, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
