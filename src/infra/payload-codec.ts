import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { keyringFrom, open, seal, type MasterKeyring } from './crypto';

/**
 * Encrypts every Temporal payload (inputs, results, updates, queries, memos, failures' details)
 * with AES-256-GCM: defence in depth, since workflows carry no personal data to begin with. The key
 * ID travels in the payload's metadata, so payloads written under an old key still decode after a
 * rotation, as long as that key stays in the keyring.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type CodecKeyring = MasterKeyring;

/** CODEC_KEY / CODEC_KEY_ID and CODEC_OLD_KEYS (`id:base64,id:base64`) as a keyring. */
export const codecKeyring = keyringFrom;

export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly ring: CodecKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: encoder.encode(this.ring.currentId),
      },
      data: seal(Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish()), this.ring.keys[this.ring.currentId]),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = keyIdBytes ? decoder.decode(keyIdBytes) : '';
      const key = this.ring.keys[keyId];
      if (!key) throw new Error(`payload encrypted with unknown key ${keyId}`);
      if (!payload.data) throw new Error('encrypted payload without data');
      return temporal.api.common.v1.Payload.decode(open(Buffer.from(payload.data), key));
    });
  }
}
