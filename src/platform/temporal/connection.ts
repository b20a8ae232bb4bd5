import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config';
import { codecKeyring, EncryptionCodec, WorkerCodec } from './payload-codec';

const ringOf = (cfg: Config) => codecKeyring(cfg.CODEC_KEY_ID, cfg.CODEC_KEY, cfg.CODEC_OLD_KEYS);

/** The API's clients seal payloads with the codec keyring and decode what the worker sealed. */
export function dataConverterFor(cfg: Config): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(ringOf(cfg))] };
}

/**
 * The worker's: it seals with the same keyring, and takes in only payloads the service sealed; any
 * other reaches the workflow as a refused marker, which it rejects (see src/platform/workflow/verified.ts).
 */
export function workerDataConverterFor(cfg: Config): DataConverter {
  return { payloadCodecs: [new WorkerCodec(ringOf(cfg))] };
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
