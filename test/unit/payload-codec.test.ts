import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  codecKeyring,
  displayOnlyCodec,
  EncryptionCodec,
  WorkerCodec,
} from '../../src/platform/temporal/payload-codec';

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

  test('a payload sealed by one codec opens in the other only in its own scope: the worker refuses display-only seals', async () => {
    const ring = codecKeyring('k1', key());
    const [display] = await displayOnlyCodec(ring).encode([payload({ hold: false })]);
    // The Web UI's decode shows it...
    expect(defaultPayloadConverter.fromPayload((await new EncryptionCodec(ring).decode([display]))[0])).toEqual({
      hold: false,
    });
    // ...but the worker takes it for a forgery, even with the scope marker stripped.
    expect(defaultPayloadConverter.fromPayload((await new WorkerCodec(ring).decode([display]))[0])).toEqual({
      $refused: 'bad_seal',
    });
    const stripped = {
      ...display,
      metadata: { encoding: display.metadata!.encoding, 'encryption-key-id': display.metadata!['encryption-key-id'] },
    };
    expect(defaultPayloadConverter.fromPayload((await new WorkerCodec(ring).decode([stripped]))[0])).toEqual({
      $refused: 'bad_seal',
    });
  });
});

describe('the worker codec', () => {
  const ring = codecKeyring('k1', key());
  const worker = new WorkerCodec(ring);
  const decoded = async (p: ReturnType<typeof payload>) =>
    defaultPayloadConverter.fromPayload((await worker.decode([p]))[0]);

  test('opens what the service sealed, with the API codec or its own', async () => {
    const [fromApi] = await new EncryptionCodec(ring).encode([payload({ purposes: ['marketing'] })]);
    expect(await decoded(fromApi)).toEqual({ purposes: ['marketing'] });
    const [own] = await worker.encode([payload('result')]);
    expect(defaultPayloadConverter.fromPayload((await new EncryptionCodec(ring).decode([own]))[0])).toBe('result');
  });

  test('turns a plaintext payload, an unknown key and a broken seal into a refused marker instead of failing the workflow task', async () => {
    expect(await decoded(payload({ purposes: ['credit_assessment'], source: 'broker:b-east-1' }))).toEqual({
      $refused: 'unsealed',
    });
    const [otherKey] = await new EncryptionCodec(codecKeyring('k9', key())).encode([payload({ hold: false })]);
    expect(await decoded(otherKey)).toEqual({ $refused: 'unknown_key' });
    const [sameIdOtherKey] = await new EncryptionCodec(codecKeyring('k1', key())).encode([payload({ hold: false })]);
    expect(await decoded(sameIdOtherKey)).toEqual({ $refused: 'bad_seal' });
    const [good] = await worker.encode([payload('value')]);
    const data = Buffer.from(good.data!);
    data[data.length - 1] ^= 0x01;
    expect(await decoded({ ...good, data })).toEqual({ $refused: 'bad_seal' });
  });
});
