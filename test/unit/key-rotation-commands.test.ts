import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { codecKeyring, EncryptionCodec } from '../../src/platform/temporal/payload-codec';

test('npm run rotate:codec-key prints a new key, and the old one moved into CODEC_OLD_KEYS still decodes', async () => {
  const oldKey = randomBytes(32).toString('base64');
  const out = execFileSync(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '../../src/cli/rotate-codec-key.ts')],
    {
      env: { ...process.env, CODEC_KEY: oldKey, CODEC_KEY_ID: 'codec-old', CODEC_OLD_KEYS: '' },
      encoding: 'utf8',
    },
  );
  const settings = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  expect(settings.CODEC_KEY_ID).not.toBe('codec-old');
  expect(Buffer.from(settings.CODEC_KEY, 'base64')).toHaveLength(32);
  expect(settings.CODEC_OLD_KEYS).toBe(`codec-old:${oldKey}`);

  const [written] = await new EncryptionCodec(codecKeyring('codec-old', oldKey)).encode([
    defaultPayloadConverter.toPayload('before'),
  ]);
  const rotated = new EncryptionCodec(codecKeyring(settings.CODEC_KEY_ID, settings.CODEC_KEY, settings.CODEC_OLD_KEYS));
  expect(defaultPayloadConverter.fromPayload((await rotated.decode([written]))[0])).toBe('before');
});
