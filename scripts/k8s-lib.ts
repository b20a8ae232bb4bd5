/** Constants and helpers of scripts/k8s.ts: names, secrets, and the pod settings every workload shares. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IContainer, IEnvVar, IPodSpec, IProbe, IVolume, IVolumeMount } from 'kubernetes-models/v1';

export const root = join(__dirname, '..');

export const NS = 'lead-case-engine';
export const APP = 'lead-case-engine';
export const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
/** Set the real registry and tag at deploy time: `kustomize edit set image lead-case-engine=registry/…:tag`. */
export const IMAGE = `lead-case-engine:${version}`;
/** temporalio/admin-tools at the server's version (deploy/temporal/helm-values.yaml). */
export const ADMIN_TOOLS_IMAGE = 'temporalio/admin-tools:1.32.1';
/** The frontend Service temporalio/helm-charts creates for release `temporal` in namespace `temporal`. */
export const TEMPORAL_ADDRESS = 'temporal-frontend.temporal.svc.cluster.local:7233';

/**
 * The search attributes the workflows set, as NAME=Type in the `temporal` CLI's spelling: the same
 * list as docker-compose.yml's registration job; the test checks both against
 * src/platform/temporal/search-attributes.ts.
 */
export const SEARCH_ATTRIBUTES = [
  'LeadStage=Keyword',
  'RiskTier=Keyword',
  'ChannelId=Keyword',
  'BrokerId=Keyword',
  'ConsentState=Keyword',
  'SlaDueAt=Datetime',
  'Vulnerable=Bool',
  'AmountCny=Int',
  'ComplaintPriority=Keyword',
  'ComplaintState=Keyword',
  'SlaState=Keyword',
  'CloseReason=Keyword',
  'LegalHold=Bool',
  'RetentionDueAt=Datetime',
];

/** How long the API answers requests in flight after SIGTERM (src/api/main.ts: 20 s). */
export const API_DRAIN_SECONDS = 20;
/** preStop: the endpoint is removed from the Service before the API stops taking connections. */
export const API_PRESTOP_SECONDS = 10;
/** The workers' shutdown: shutdownGraceTime plus closing connections, with room for activities to report. */
export const WORKER_SHUTDOWN_SECONDS = 45;

export const labels = (component: string) => ({
  'app.kubernetes.io/name': APP,
  'app.kubernetes.io/component': component,
  'app.kubernetes.io/part-of': APP,
  'app.kubernetes.io/version': version,
});
export const selector = (component: string) => ({
  'app.kubernetes.io/name': APP,
  'app.kubernetes.io/component': component,
});

// ---- secrets: created outside these manifests (External Secrets, Sealed Secrets, your KMS) -------
/** Secret name -> the keys the manifests read from it. Nothing here holds a value. */
export const SECRETS = {
  /** The service's keys (docs/security.md#keys). */
  'lead-case-engine-keys': [
    'jwt_secret',
    'master_key',
    'blind_index_key',
    'codec_key',
    'audit_key',
    'master_old_keys',
    'codec_old_keys',
    'audit_old_keys',
  ],
  /** DATABASE_URL of the DML-only role. */
  'lead-case-engine-db': ['database_url'],
  /** DATABASE_MIGRATION_URL of the owner role: the migrate Job only. */
  'lead-case-engine-db-owner': ['database_migration_url'],
  /** Signs outbound notifications: the workers only. */
  'lead-case-engine-notify': ['notify_webhook_secret'],
  /** mTLS client certificate for Temporal's frontend (kubernetes.io/tls, plus ca.crt). */
  'lead-case-engine-temporal-tls': ['tls.crt', 'tls.key', 'ca.crt'],
} as const;
export type SecretName = keyof typeof SECRETS;

/** A secret volume with only the named keys, and the *_FILE variables that point at them. */
export function secretFiles(
  volume: string,
  secret: SecretName,
  files: Record<string, (typeof SECRETS)[SecretName][number]>,
): { volume: IVolume; mount: IVolumeMount; env: IEnvVar[] } {
  const dir = `/run/secrets/${volume}`;
  return {
    volume: {
      name: volume,
      secret: {
        secretName: secret,
        defaultMode: 0o440,
        items: [...new Set(Object.values(files))].map((key) => ({ key, path: key })),
      },
    },
    mount: { name: volume, mountPath: dir, readOnly: true },
    env: Object.entries(files).map(([name, key]) => ({ name, value: `${dir}/${key}` })),
  };
}

export const keys = (withOld: boolean) =>
  secretFiles('keys', 'lead-case-engine-keys', {
    JWT_SECRET_FILE: 'jwt_secret',
    MASTER_KEY_FILE: 'master_key',
    BLIND_INDEX_KEY_FILE: 'blind_index_key',
    CODEC_KEY_FILE: 'codec_key',
    AUDIT_KEY_FILE: 'audit_key',
    ...(withOld
      ? {
          MASTER_OLD_KEYS_FILE: 'master_old_keys',
          CODEC_OLD_KEYS_FILE: 'codec_old_keys',
          AUDIT_OLD_KEYS_FILE: 'audit_old_keys',
        }
      : {}),
  });
export const db = () => secretFiles('db', 'lead-case-engine-db', { DATABASE_URL_FILE: 'database_url' });
export const dbOwner = () =>
  secretFiles('db-owner', 'lead-case-engine-db-owner', { DATABASE_MIGRATION_URL_FILE: 'database_migration_url' });
export const notify = () =>
  secretFiles('notify', 'lead-case-engine-notify', { NOTIFY_WEBHOOK_SECRET_FILE: 'notify_webhook_secret' });
export const temporalTls = () =>
  secretFiles('temporal-tls', 'lead-case-engine-temporal-tls', {
    TEMPORAL_TLS_CERT_PATH: 'tls.crt',
    TEMPORAL_TLS_KEY_PATH: 'tls.key',
    TEMPORAL_TLS_CA_PATH: 'ca.crt',
  });

// ---- shared pod settings ---------------------------------------------------------------------------
export const CONFIG = 'lead-case-engine-config';
export const envFromConfig = [{ configMapRef: { name: CONFIG } }];

export const containerSecurity: IContainer['securityContext'] = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};
export const podSecurity: IPodSpec['securityContext'] = { runAsNonRoot: true, fsGroup: 1000 };
/** The process's /tmp (the root filesystem is read-only). */
export const tmp = {
  volume: { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  mount: { name: 'tmp', mountPath: '/tmp' },
};

export function podSpec(
  parts: { volume: IVolume; mount: IVolumeMount; env?: IEnvVar[] }[],
  container: IContainer,
  extra: Partial<IPodSpec> = {},
): IPodSpec {
  const all = [...parts, tmp];
  return {
    serviceAccountName: APP,
    automountServiceAccountToken: false,
    securityContext: podSecurity,
    volumes: all.map((p) => p.volume),
    containers: [
      {
        imagePullPolicy: 'IfNotPresent',
        securityContext: containerSecurity,
        envFrom: envFromConfig,
        ...container,
        env: [...all.flatMap((p) => ('env' in p ? (p.env ?? []) : [])), ...(container.env ?? [])],
        volumeMounts: all.map((p) => p.mount),
      },
    ],
    ...extra,
  };
}

export const httpProbe = (path: string, port: string, rest: Partial<IProbe> = {}): IProbe => ({
  httpGet: { path, port },
  periodSeconds: 10,
  timeoutSeconds: 3,
  failureThreshold: 3,
  ...rest,
});
