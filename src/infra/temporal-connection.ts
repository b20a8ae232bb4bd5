import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { codecKeyring, EncryptionCodec } from './payload-codec';

/** Every client and worker encrypts payloads with the same keyring. */
export function dataConverterFor(cfg: Config): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(codecKeyring(cfg.CODEC_KEY_ID, cfg.CODEC_KEY, cfg.CODEC_OLD_KEYS))] };
}

/** TLS and API-key options for a Temporal cluster or Temporal Cloud; none for the local dev server. */
function securityOptions(cfg: Config) {
  const tls =
    cfg.TEMPORAL_TLS || cfg.TEMPORAL_TLS_CERT_PATH
      ? {
          serverRootCACertificate: cfg.TEMPORAL_TLS_CA_PATH ? readFileSync(cfg.TEMPORAL_TLS_CA_PATH) : undefined,
          clientCertPair:
            cfg.TEMPORAL_TLS_CERT_PATH && cfg.TEMPORAL_TLS_KEY_PATH
              ? { crt: readFileSync(cfg.TEMPORAL_TLS_CERT_PATH), key: readFileSync(cfg.TEMPORAL_TLS_KEY_PATH) }
              : undefined,
        }
      : undefined;
  return { tls, apiKey: cfg.TEMPORAL_API_KEY };
}

export async function connectClient(cfg: Config): Promise<Client> {
  const options: ConnectionOptions = { address: cfg.TEMPORAL_ADDRESS, ...securityOptions(cfg) };
  const connection = await Connection.connect(options);
  return new Client({ connection, namespace: cfg.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(cfg) });
}

export async function connectWorker(cfg: Config): Promise<NativeConnection> {
  const options: NativeConnectionOptions = { address: cfg.TEMPORAL_ADDRESS, ...securityOptions(cfg) };
  return NativeConnection.connect(options);
}
