import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { codecKeyring, EncryptionCodec } from '../../src/infra/payload-codec';

const key = () => randomBytes(32).toString('base64');
const payload = (value: unknown) => defaultPayloadConverter.toPayload(value);

describe('the payload codec', () => {
  test('round-trips a payload, and the encoded form hides the value and names its key', async () => {
    const codec = new EncryptionCodec(codecKeyring('k1', key()));
    const [encoded] = await codec.encode([payload({ caseId: 'c-1', amount: 100000 })]);
    expect(Buffer.from(encoded.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(encoded.metadata!['encryption-key-id']!).toString()).toBe('k1');
    expect(Buffer.from(encoded.data!).toString('latin1')).not.toContain('c-1');
    const [decoded] = await codec.decode([encoded]);
    expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ caseId: 'c-1', amount: 100000 });
  });

  test('after a rotation, payloads written under the old key still decode while it stays in the keyring', async () => {
    const oldKey = key();
    const before = new EncryptionCodec(codecKeyring('k1', oldKey));
    const [old] = await before.encode([payload('written before rotation')]);
    const after = new EncryptionCodec(codecKeyring('k2', key(), `k1:${oldKey}`));
    expect(defaultPayloadConverter.fromPayload((await after.decode([old]))[0])).toBe('written before rotation');
    const [fresh] = await after.encode([payload('new')]);
    expect(Buffer.from(fresh.metadata!['encryption-key-id']!).toString()).toBe('k2');
    const withoutOld = new EncryptionCodec(codecKeyring('k2', key()));
    await expect(withoutOld.decode([old])).rejects.toThrow('unknown key k1');
  });

  test('a tampered payload is refused', async () => {
    const codec = new EncryptionCodec(codecKeyring('k1', key()));
    const [encoded] = await codec.encode([payload('value')]);
    const data = Buffer.from(encoded.data!);
    data[data.length - 20] ^= 0xff;
    await expect(codec.decode([{ ...encoded, data }])).rejects.toThrow();
  });

  test('payloads that were never encrypted pass through unchanged', async () => {
    const codec = new EncryptionCodec(codecKeyring('k1', key()));
    const plain = payload('plain');
    expect(await codec.decode([plain])).toEqual([plain]);
  });
});
