import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { REFUSED_PAYLOAD_KEY, type RefusedReason } from '../workflow/verified';
import { keyringFrom, open, seal, type MasterKeyring } from '../crypto';

/**
 * Encrypts every Temporal payload (inputs, results, updates, queries, memos, failures' details)
 * with AES-256-GCM. The key ID travels in the payload's metadata, so payloads written under an old
 * key still decode after a rotation, as long as that key stays in the keyring.
 *
 * The seal is also what makes a message the service's own: the worker decodes with
 * `WorkerCodec`, which accepts only payloads sealed by the service (the API and the worker), so
 * someone who reaches Temporal without the codec key can neither send a case a message it takes
 * nor name an actor inside one. The associated data of each seal names its scope: payloads that the
 * Web UI's codec endpoint encodes are sealed `display`, which the worker refuses as well.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const SCOPE_METADATA = 'encryption-scope';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type CodecKeyring = MasterKeyring;
type Scope = 'service' | 'display';

/** CODEC_KEY / CODEC_KEY_ID and CODEC_OLD_KEYS (`id:base64,id:base64`) as a keyring. */
export const codecKeyring = keyringFrom;

const aad = (scope: Scope, keyId: string) => `lce-temporal-payload:${scope}:${keyId}`;
const text = (bytes: Uint8Array | null | undefined) => (bytes ? decoder.decode(bytes) : undefined);

function sealPayload(ring: CodecKeyring, scope: Scope, payload: Payload): Payload {
  const keyId = ring.currentId;
  return {
    metadata: {
      [METADATA_ENCODING_KEY]: encoder.encode(ENCRYPTED_ENCODING),
      [KEY_ID_METADATA]: encoder.encode(keyId),
      ...(scope === 'display' ? { [SCOPE_METADATA]: encoder.encode(scope) } : {}),
    },
    data: seal(
      Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish()),
      ring.keys[keyId],
      aad(scope, keyId),
    ),
  };
}

type Opened = { payload: Payload } | { refused: RefusedReason };

/** Opens a sealed payload with one scope's associated data; says why it cannot when it cannot. */
function openPayload(ring: CodecKeyring, scope: Scope, payload: Payload): Opened {
  if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return { refused: 'unsealed' };
  const keyId = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
  const key = ring.keys[keyId];
  if (!key) return { refused: 'unknown_key' };
  if (!payload.data) return { refused: 'bad_seal' };
  try {
    return { payload: temporal.api.common.v1.Payload.decode(open(Buffer.from(payload.data), key, aad(scope, keyId))) };
  } catch {
    return { refused: 'bad_seal' };
  }
}

/**
 * The API's codec: seals as the service, and decodes what it is shown. Payloads that were never
 * sealed pass through unchanged (the Web UI shows them as they are); a sealed payload it cannot
 * open is an error.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(
    protected readonly ring: CodecKeyring,
    private readonly scope: Scope = 'service',
  ) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => sealPayload(this.ring, this.scope, payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
      const keyId = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
      if (!this.ring.keys[keyId]) throw new Error(`payload encrypted with unknown key ${keyId}`);
      const scope: Scope = text(payload.metadata?.[SCOPE_METADATA]) === 'display' ? 'display' : 'service';
      const opened = openPayload(this.ring, scope, payload);
      if ('refused' in opened) throw new Error('payload seal does not verify');
      return opened.payload;
    });
  }
}

/**
 * A codec for the Web UI's `/codec/encode`: what it seals reads back through `/codec/decode`, but
 * the worker refuses it, so a signed-in manager cannot use the API to make a message a case takes.
 */
export function displayOnlyCodec(ring: CodecKeyring): PayloadCodec {
  return new EncryptionCodec(ring, 'display');
}

/** The JSON payload a refused one is decoded to: what workflows see in its place (see src/platform/workflow/verified.ts). */
export function refusedPayload(reason: RefusedReason): Payload {
  return defaultPayloadConverter.toPayload({ [REFUSED_PAYLOAD_KEY]: reason });
}

/**
 * The worker's codec. It decodes only payloads sealed by the service; anything else (plaintext,
 * an unknown key, a seal that does not verify, a display-only seal) becomes a marker value instead
 * of an error: a codec error would fail the workflow task on every retry and wedge the workflow,
 * whereas the marker lets it refuse the Update, ignore the Signal, or end a start at once.
 */
export class WorkerCodec implements PayloadCodec {
  constructor(private readonly ring: CodecKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => sealPayload(this.ring, 'service', payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const opened = openPayload(this.ring, 'service', payload);
      return 'refused' in opened ? refusedPayload(opened.refused) : opened.payload;
    });
  }
}
