import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { temporalCliEnv } from '../../src/cli/temporal';

const cfg = { TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'cases', API_PORT: 3100 };

test('npm run temporal points the CLI at the configured server and namespace, and at the codec only with a token', () => {
  const plain = temporalCliEnv(cfg, { PATH: '/bin' });
  expect(plain).toMatchObject({
    PATH: '/bin',
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    TEMPORAL_NAMESPACE: 'cases',
  });
  expect(plain.TEMPORAL_CODEC_ENDPOINT).toBeUndefined();

  const withToken = temporalCliEnv(cfg, { CODEC_TOKEN: 'tok' });
  expect(withToken).toMatchObject({
    TEMPORAL_CODEC_ENDPOINT: 'http://localhost:3100/v1/codec',
    TEMPORAL_CODEC_AUTH: 'Bearer tok',
  });
  expect(withToken.CODEC_TOKEN).toBeUndefined();
  // What the caller set explicitly wins.
  expect(
    temporalCliEnv(cfg, { TEMPORAL_ADDRESS: 'other:1', CODEC_TOKEN: 't', TEMPORAL_CODEC_ENDPOINT: 'https://x/c' }),
  ).toMatchObject({ TEMPORAL_ADDRESS: 'other:1', TEMPORAL_CODEC_ENDPOINT: 'https://x/c' });
});

test('npm run temporal runs the pinned CLI with the arguments given', () => {
  const out = execFileSync('npx', ['tsx', join(__dirname, '../../src/cli/temporal.ts'), '--version'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'test' },
  });
  expect(out).toMatch(/^temporal version \d+\.\d+\.\d+/);
});
