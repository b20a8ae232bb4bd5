import { randomBytes } from 'node:crypto';
import { blindIndex, keyringFrom, openForCase, rewrapDataKey, sealForCase } from '../../src/platform/crypto';

const ring = () => keyringFrom('m1', randomBytes(32).toString('base64'));
const identity = { name: '张三', idNumber: '110105199001011232', phone: '13812345678' };

describe('identity encryption', () => {
  test('an identity sealed under its case key opens again, and the sealed bytes hide it', () => {
    const r = ring();
    const { sealed, wrappedKey, masterKeyId } = sealForCase('case-1', identity, r);
    expect(sealed.toString('latin1')).not.toContain('110105199001011232');
    expect(openForCase('case-1', sealed, wrappedKey, masterKeyId, r)).toEqual(identity);
  });

  test('a flipped bit, another case, or another master key is refused', () => {
    const r = ring();
    const { sealed, wrappedKey, masterKeyId } = sealForCase('case-1', identity, r);
    const tampered = Buffer.from(sealed);
    tampered[20] ^= 1;
    expect(() => openForCase('case-1', tampered, wrappedKey, masterKeyId, r)).toThrow();
    expect(() => openForCase('case-2', sealed, wrappedKey, masterKeyId, r)).toThrow(); // bound to its case
    expect(() => openForCase('case-1', sealed, wrappedKey, masterKeyId, ring())).toThrow();
  });

  test('each case gets its own data key: the same identity seals differently', () => {
    const r = ring();
    expect(sealForCase('a', identity, r).wrappedKey.equals(sealForCase('b', identity, r).wrappedKey)).toBe(false);
  });

  test('re-wrapping under a new master key keeps the identity readable with the new key alone', () => {
    const oldKey = randomBytes(32).toString('base64');
    const old = keyringFrom('m1', oldKey);
    const { sealed, wrappedKey } = sealForCase('case-1', identity, old);
    const both = keyringFrom('m2', randomBytes(32).toString('base64'), `m1:${oldKey}`);
    const rewrapped = rewrapDataKey('case-1', wrappedKey, 'm1', both);
    const onlyNew = { currentId: 'm2', keys: { m2: both.keys.m2 } };
    expect(openForCase('case-1', sealed, rewrapped, 'm2', onlyNew)).toEqual(identity);
  });
});

describe('blind indexes', () => {
  test('equal values index equally, under a key; the index reveals nothing without it', () => {
    const key = randomBytes(32);
    expect(blindIndex('id', '110105199001011232', key)).toBe(blindIndex('id', '110105199001011232', key));
    expect(blindIndex('id', '110105199001011232', key)).not.toBe(blindIndex('phone', '110105199001011232', key));
    expect(blindIndex('id', '110105199001011232', key)).not.toBe(
      blindIndex('id', '110105199001011232', randomBytes(32)),
    );
    expect(blindIndex('id', '110105199001011232', key)).not.toContain('1101051990');
  });
});
