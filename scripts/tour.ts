/**
 * `npm run tour`: runs the README's first tour, exactly as written, against a fresh `npm run dev`
 * (its own ports and data folder, quiet hours off so it passes at any hour), and fails if a step
 * fails or an answer the README promises is missing. CI runs it so the tour cannot rot.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');

/** The shell blocks of the README's "A first tour" section, in order. */
export function tourScript(readme: string): string {
  const start = readme.indexOf('## A first tour');
  if (start < 0) throw new Error('README.md has no "## A first tour" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  if (blocks.length === 0) throw new Error('the tour has no shell blocks');
  return blocks.join('\n');
}

/** What the README says the tour's answers show; each must appear in its output. */
export const PROMISED = [
  /"stage":\s*"closed"/, // step 4: the lender approved
  /"intact":\s*true/, // step 6: the audit chain verifies
  /"code":\s*"erased"/, // step 5: the withdrawn case's data is gone
];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

async function waitForReady(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`npm run dev was not ready at ${url} within ${timeoutMs / 1000} s`);
}

async function main(): Promise<number> {
  const [api, temporal, ui, postgres] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'lce-tour-'));
  const policyFile = join(dataDir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ contact: { quietHoursStart: '00:00', quietHoursEnd: '00:00' } }));
  const env = {
    ...process.env,
    NODE_ENV: 'development',
    API_PORT: String(api),
    DEV_TEMPORAL_PORT: String(temporal),
    DEV_TEMPORAL_UI_PORT: String(ui),
    DEV_POSTGRES_PORT: String(postgres),
    DEV_DATA_DIR: dataDir,
    POLICY_FILE: policyFile,
    WORKER_METRICS_ADDRESS: '',
    WORKER_HEALTH_PORT: '0',
  };
  const dev = spawn('npm', ['run', 'dev'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let devLog = '';
  dev.stdout.on('data', (d: Buffer) => (devLog += d.toString()));
  dev.stderr.on('data', (d: Buffer) => (devLog += d.toString()));
  try {
    await waitForReady(`http://localhost:${api}/readyz`, 300_000);
    const script = tourScript(readFileSync(join(root, 'README.md'), 'utf8')).replaceAll(
      'http://localhost:3000',
      `http://localhost:${api}`,
    );
    // The tour's own commands (npm run temporal) reach the dev server's Temporal on its port.
    const tourEnv = { ...env, TEMPORAL_ADDRESS: `localhost:${temporal}` };
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: root, env: tourEnv, encoding: 'utf8' });
    process.stdout.write(run.stdout);
    process.stderr.write(run.stderr);
    const missing = PROMISED.filter((p) => !p.test(run.stdout));
    if (run.status !== 0 || missing.length > 0) {
      console.error(
        `the README tour failed: exit ${run.status}; missing ${missing.map(String).join(', ') || 'nothing'}`,
      );
      return 1;
    }
    console.log('the README tour ran as written');
    return 0;
  } catch (err) {
    console.error(String(err), '\n--- npm run dev said:\n', devLog.slice(-4000));
    return 1;
  } finally {
    // npm run dev stops its Temporal server, worker, API and Postgres on SIGINT.
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (dev.pid) process.kill(-dev.pid, sig);
      } catch {
        // already gone
      }
    };
    if (dev.exitCode === null) {
      signal('SIGINT');
      await new Promise((resolve) => {
        const killer = setTimeout(() => signal('SIGKILL'), 60_000);
        dev.once('exit', () => resolve(clearTimeout(killer)));
      });
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) void main().then((code) => process.exit(code));
