import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const projectRoot = join(__dirname, '..', '..');
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

describe('a process that owns its signals (npm run dev)', () => {
  it('on SIGTERM finishes its own shutdown with Postgres still up, then stops it and exits 0', async () => {
    // As root, Postgres runs as the postgres user, which must reach the folder.
    const root = mkdtempSync(join(tmpdir(), 'lead-signals-'));
    chmodSync(root, 0o755);
    const dataDir = join(root, 'pg');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'test/support/signal-owner.ts'), dataDir, String(await freePort())],
      {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const deadline = Date.now() + 90_000;
    while (!out.includes('ready') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('ready');

    child.kill('SIGTERM');
    const { code } = await exited;
    // Left to the package's own exit hook, Postgres would stop at once and the process exit 143.
    expect(out).toContain('drained, postgres up');
    expect(out).toContain('stopped');
    expect(code).toBe(0);
  });

  it('stops at once on Ctrl-C when the server got the signal too and exited first (a terminal signals the whole process group)', async () => {
    const root = mkdtempSync(join(tmpdir(), 'lead-pg-gone-'));
    chmodSync(root, 0o755);
    const dataDir = join(root, 'pg');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'test/support/signal-owner.ts'), dataDir, String(await freePort())],
      {
        cwd: projectRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 90_000;
    while (!out.includes('ready') && Date.now() < deadline && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('ready');

    const server = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(server, 'SIGINT');
    const alive = () => {
      try {
        process.kill(server, 0);
        return true;
      } catch {
        return false;
      }
    };
    while (alive()) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('hung'), 15_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(out).toContain('stopped');
    expect(existsSync(dataDir)).toBe(false);
  });
});
