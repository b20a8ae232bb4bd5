import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { parsePolicy, type Policy } from './policy';
import { withWorkingCalendar, type OfficialCalendar } from './official-calendar';

/**
 * The service's whole configuration: every environment variable it reads and the business policy,
 * parsed once at start. A missing or malformed value stops the process with a message naming it.
 *
 * Secrets fail closed: their clearly-labelled local defaults apply only when NODE_ENV is explicitly
 * `development` or `test` (`npm run dev` and `npm test` set it), so `npm install && npm run dev`
 * works on a fresh machine while a process started any other way refuses to run without real keys.
 */
const LOCAL_ONLY = 'local-dev-only-not-a-secret';
const localKey = (label: string) =>
  Buffer.from(`${label}:${LOCAL_ONLY}`.padEnd(32, '.').slice(0, 32)).toString('base64');

const base64Key = z
  .string()
  .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const port = z.coerce.number().int().min(1).max(65535);
/** Keys fetched over plain http could be swapped by anyone on the path: only loopback may skip TLS. */
const httpsOrLoopback = (value: string): boolean => {
  const url = new URL(value);
  if (url.protocol === 'https:') return true;
  return (
    url.protocol === 'http:' &&
    (url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname))
  );
};

/** An IP literal and a port, as the SDK's metrics exporter binds them (no host names). */
const socketAddress = (v: string, m = /^(?:\[([0-9A-Fa-f:.]+)\]|([\d.]+)):(\d{1,5})$/.exec(v)): boolean =>
  !!m && isIP(m[1] ?? m[2]) !== 0 && Number(m[3]) >= 1 && Number(m[3]) <= 65535;

export const envSchema = z
  .object({
    /** `development` or `test` allow the local default secrets; anything else (or unset) requires real ones. */
    NODE_ENV: z.enum(['development', 'test', 'production']).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `1`: human-readable log lines (npm run dev sets it); otherwise one JSON object per line. */
    LOG_PRETTY: z.enum(['0', '1']).default('0'),

    API_PORT: port.default(3000),
    /** Interface the API listens on: 127.0.0.1 in development and test, every interface otherwise (containers). */
    API_HOST: optionalString,
    /** Origin of the Temporal Web UI, allowed by CORS on the codec routes. */
    WEB_UI_ORIGIN: z.string().url().default('http://localhost:8233'),
    /**
     * Which proxies in front of the API to believe about the client's address (Express "trust proxy"):
     * `false` (the socket's address), a hop count, or addresses/subnets separated by commas. Behind a
     * load balancer, set it, or every client shares one address for the failed-sign-in limit.
     */
    TRUST_PROXY: z
      .string()
      .default('false')
      .transform((v): boolean | number | string =>
        v === 'false' ? false : v === 'true' ? true : /^\d+$/.test(v) ? Number(v) : v,
      ),
    /** Requests per minute per credential (per IP before sign-in). */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    /** Failed authentications per minute per client address; then 429 until the minute ends. */
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
    /** Refused (403) requests per minute per credential; then 429 until the minute ends. */
    REFUSALS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    /** The rate-limit counters' namespace in Postgres: replicas of one API share it; another deployment on the same database sets its own. */
    RATE_LIMIT_SCOPE: z.string().min(1).max(200).default('lead-api'),

    TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_TASK_QUEUE: z.string().default('lead-cases'),
    /** The scheduled maintenance (retention sweep, digests, reviews) runs here, on a Worker of its own, apart from case work. */
    TEMPORAL_MAINTENANCE_TASK_QUEUE: z.string().default('lead-maintenance'),
    TEMPORAL_TLS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    TEMPORAL_TLS_CERT_PATH: optionalString,
    TEMPORAL_TLS_KEY_PATH: optionalString,
    TEMPORAL_TLS_CA_PATH: optionalString,
    TEMPORAL_API_KEY: optionalString,
    /** Worker Versioning (docs/versioning.md): the workers' deployment, and their build (default: a hash of the workflow bundle). */
    TEMPORAL_DEPLOYMENT_NAME: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only (no .)')
      .default('lead-case-engine'),
    TEMPORAL_BUILD_ID: optionalString,
    /** How a case's run follows new builds: PINNED (production) stays on its build; AUTO_UPGRADE (default in development and test) moves. */
    TEMPORAL_CASE_VERSIONING: z.enum(['PINNED', 'AUTO_UPGRADE']).optional(),
    /** Whether a worker makes its build the deployment's current version as it starts (off: the deploy does it, e.g. to ramp). */
    TEMPORAL_MAKE_BUILD_CURRENT: z
      .enum(['true', 'false'])
      .default('true')
      .transform((v) => v === 'true'),
    /** Worker creates/updates the schedules at start (default only in development and test); else the schedules job does. */
    TEMPORAL_CREATE_SCHEDULES: optionalString.pipe(z.enum(['true', 'false']).optional()),
    /** The worker's Temporal SDK metrics for Prometheus (`/metrics` at IP:port); empty: none. */
    WORKER_METRICS_ADDRESS: z
      .string()
      .default('0.0.0.0:9464')
      .refine((v) => v === '' || socketAddress(v), 'must be IP:port (e.g. 0.0.0.0:9464, [::]:9464) or empty'),
    /** The worker's health endpoint (GET /healthz: 200 while its workers run); 0: none. */
    WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
    /** A workflow bundle prebuilt by `npm run build` (dist/workflow-bundle.js); unset: bundle at worker start. */
    WORKFLOW_BUNDLE_PATH: optionalString,

    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .default('postgres://postgres:postgres@localhost:5432/leads'),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).default(10),

    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_ISSUER: z.string().default('lead-case-engine'),
    /** The `aud` every token must carry. */
    JWT_AUDIENCE: z.string().min(1).default('lead-case-engine-api'),
    /** The longest lifetime (exp − iat) a token may have; longer ones are refused, and `npm run token` will not mint them. */
    JWT_MAX_LIFETIME_HOURS: z.coerce
      .number()
      .min(0.05)
      .max(24 * 7)
      .default(12),
    /** The identity provider's published keys: https, except on a loopback host (a local test IdP). */
    JWT_JWKS_URL: optionalString.pipe(
      z.string().url().refine(httpsOrLoopback, 'must be an https:// URL (http only on a loopback host)').optional(),
    ),
    /** Wraps every lead's data key (AES-256-GCM). */
    MASTER_KEY: base64Key.optional(),
    MASTER_KEY_ID: z.string().min(1).default('local-1'),
    /** Retired master keys still needed to unwrap data keys until `npm run rotate:master-key` re-wraps them: `id:base64,…`. */
    MASTER_OLD_KEYS: z
      .string()
      .regex(
        /^([A-Za-z0-9_.-]+:[A-Za-z0-9+/=]+)?(,[A-Za-z0-9_.-]+:[A-Za-z0-9+/=]+)*$/,
        'expected id:base64key pairs separated by commas',
      )
      .default(''),
    /** Keys the blind indexes used to find the same person twice without decrypting anything. */
    BLIND_INDEX_KEY: base64Key.optional(),
    /** Encrypts every Temporal payload (AES-256-GCM); the ID goes into each payload's metadata. */
    CODEC_KEY: base64Key.optional(),
    CODEC_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('codec-local-1'),
    /** Retired codec keys that must still decode old payloads: `id:base64,id:base64`. */
    CODEC_OLD_KEYS: z
      .string()
      .regex(
        /^([A-Za-z0-9_.-]+:[A-Za-z0-9+/=]+)?(,[A-Za-z0-9_.-]+:[A-Za-z0-9+/=]+)*$/,
        'expected id:base64key pairs separated by commas',
      )
      .default(''),

    /** Keys the audit trail's hash chain (HMAC-SHA256): without it, nobody can rewrite the chain so that it verifies. */
    AUDIT_KEY: base64Key.optional(),
    AUDIT_KEY_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('audit-local-1'),
    /** Retired audit keys that still verify the rows chained under them: `id:base64,id:base64`. */
    AUDIT_OLD_KEYS: z
      .string()
      .regex(
        /^([A-Za-z0-9_.-]+:[A-Za-z0-9+/=]+)?(,[A-Za-z0-9_.-]+:[A-Za-z0-9+/=]+)*$/,
        'expected id:base64key pairs separated by commas',
      )
      .default(''),
    /** The owner role's URL, for migrations only (DDL); the API and workers connect with DATABASE_URL, a role without it. */
    DATABASE_MIGRATION_URL: optionalString.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
        .optional(),
    ),

    NOTIFY_WEBHOOK_URL: optionalString.pipe(z.string().url().optional()),
    NOTIFY_WEBHOOK_SECRET: optionalString,

    /** JSON file whose values override the policy defaults of shared/domain.md. */
    POLICY_FILE: optionalString,
  })
  .superRefine((env, ctx) => {
    // A retired key listed under the current key's ID (or twice) would be shadowed: everything sealed
    // under it would stop opening, and a rotation would find nothing left to re-wrap.
    const ids = (list: string) => (list ? list.split(',').map((pair) => pair.slice(0, pair.indexOf(':'))) : []);
    for (const [current, old] of [
      ['MASTER_KEY_ID', 'MASTER_OLD_KEYS'],
      ['CODEC_KEY_ID', 'CODEC_OLD_KEYS'],
      ['AUDIT_KEY_ID', 'AUDIT_OLD_KEYS'],
    ] as const) {
      const retired = ids(env[old]);
      const clash = retired.find((id, i) => id === env[current] || retired.indexOf(id) !== i);
      if (clash !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [old],
          message: `key ID ${clash} is used twice (a retired key needs an ID of its own, other than ${current})`,
        });
      }
    }
    if (allowsLocalDefaults(env.NODE_ENV)) return;
    for (const name of SECRET_NAMES) {
      const value = env[name];
      if (value === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is required (local defaults apply only with NODE_ENV=development or test)',
        });
      } else if (value.includes(LOCAL_ONLY) || value === localSecret(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'is the published development default: set a secret of your own',
        });
      } else if (weakSecret(name, value)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is too weak: ${weakSecret(name, value)}` });
      }
    }
    const seen = new Map<string, string>();
    for (const name of SECRET_NAMES) {
      const value = env[name];
      if (value === undefined) continue;
      const material = name === 'JWT_SECRET' ? value : Buffer.from(value, 'base64').toString('hex');
      const other = seen.get(material);
      if (other)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is the same secret as ${other}: each secret protects something else and needs its own value`,
        });
      else seen.set(material, name);
    }
  })
  .transform((env) => {
    const local = allowsLocalDefaults(env.NODE_ENV);
    const secret = (name: SecretName) => env[name] ?? localSecret(name);
    return {
      ...env,
      API_HOST: env.API_HOST ?? (local ? '127.0.0.1' : '0.0.0.0'),
      TEMPORAL_CREATE_SCHEDULES:
        env.TEMPORAL_CREATE_SCHEDULES === undefined ? local : env.TEMPORAL_CREATE_SCHEDULES === 'true',
      JWT_SECRET: secret('JWT_SECRET'),
      MASTER_KEY: secret('MASTER_KEY'),
      BLIND_INDEX_KEY: secret('BLIND_INDEX_KEY'),
      CODEC_KEY: secret('CODEC_KEY'),
      AUDIT_KEY: secret('AUDIT_KEY'),
    };
  });

/** The secrets that must be set outside development and test, and differ from each other. */
export const SECRET_NAMES = ['JWT_SECRET', 'MASTER_KEY', 'BLIND_INDEX_KEY', 'CODEC_KEY', 'AUDIT_KEY'] as const;
type SecretName = (typeof SECRET_NAMES)[number];

/** True only when NODE_ENV says, explicitly, that this is a developer's machine or a test run. */
export const allowsLocalDefaults = (nodeEnv: string | undefined): boolean =>
  nodeEnv === 'development' || nodeEnv === 'test';

function localSecret(name: SecretName): string {
  if (name === 'JWT_SECRET') return `jwt:${LOCAL_ONLY}:${LOCAL_ONLY}`;
  const label = { MASTER_KEY: 'master', BLIND_INDEX_KEY: 'blind-index', CODEC_KEY: 'codec', AUDIT_KEY: 'audit' }[name];
  return localKey(label);
}

/** Bits of Shannon entropy in a string, counted from its own character frequencies: a crude floor that refuses the obviously weak. */
function entropyBits(chars: ArrayLike<number> & Iterable<number>): number {
  const counts = new Map<number, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perSymbol = 0;
  for (const n of counts.values()) perSymbol -= (n / chars.length) * Math.log2(n / chars.length);
  return perSymbol * chars.length;
}

/** Why a secret is too weak to guard anything, or undefined. */
function weakSecret(name: SecretName, value: string): string | undefined {
  if (name === 'JWT_SECRET') {
    const codes = [...value].map((c) => c.codePointAt(0)!);
    return entropyBits(codes) < 128
      ? 'it repeats too much to resist guessing (use openssl rand -base64 48)'
      : undefined;
  }
  const bytes = Buffer.from(value, 'base64');
  return new Set(bytes).size < 16 ? 'its 32 bytes are not random (use openssl rand -base64 32)' : undefined;
}

export type Env = z.output<typeof envSchema>;
export interface Config extends Env {
  policy: Policy;
  /** The official working calendar merged into `policy.businessHours` (its source and last year), when the policy uses it. */
  officialCalendar?: Pick<OfficialCalendar, 'source' | 'lastYear'>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses an environment (process.env by default) into the configuration, or throws ConfigError naming each bad value. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(withSecretFiles(source));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  let overrides: unknown = {};
  if (parsed.data.POLICY_FILE) {
    try {
      overrides = JSON.parse(readFileSync(parsed.data.POLICY_FILE, 'utf8'));
    } catch (err) {
      throw new ConfigError(`POLICY_FILE: cannot read ${parsed.data.POLICY_FILE} as JSON (${(err as Error).message})`);
    }
  }
  try {
    return { ...parsed.data, ...withWorkingCalendar(parsePolicy(overrides)) };
  } catch (err) {
    if (err instanceof z.ZodError) {
      const lines = err.issues.map((i) => `  policy.${i.path.join('.')}: ${i.message}`);
      throw new ConfigError(`Invalid policy in ${parsed.data.POLICY_FILE}:\n${lines.join('\n')}`);
    }
    throw err;
  }
}

let cached: Config | undefined;
/** The process's configuration, parsed on first use; exits the process with the message when invalid. */
export function config(): Config {
  if (!cached) {
    try {
      cached = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(78); // EX_CONFIG
      }
      throw err;
    }
  }
  return cached;
}

/**
 * Variables that may instead be read from a file: `X_FILE=/run/secrets/x` sets X to the file's content
 * (one trailing newline dropped), as compose and Kubernetes mount secrets. Setting both is an error.
 */
export const FILE_VARIABLE_NAMES = [
  ...SECRET_NAMES,
  'MASTER_OLD_KEYS',
  'CODEC_OLD_KEYS',
  'AUDIT_OLD_KEYS',
  'DATABASE_URL',
  'DATABASE_MIGRATION_URL',
  'TEMPORAL_API_KEY',
  'NOTIFY_WEBHOOK_SECRET',
] as const;

function withSecretFiles(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...source };
  for (const name of FILE_VARIABLE_NAMES) {
    const file = source[`${name}_FILE`];
    delete out[`${name}_FILE`];
    if (!file) continue;
    if (source[name]) throw new ConfigError(`Invalid configuration:\n  ${name}: set ${name} or ${name}_FILE, not both`);
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  ${name}_FILE: cannot read ${file} (${(err as Error).message})`);
    }
  }
  return out;
}

/** Every environment variable name the service reads (docker-compose.yml is checked against this). */
export const ENV_NAMES: readonly string[] = [
  ...Object.keys(envSchema.in.shape),
  ...FILE_VARIABLE_NAMES.map((name) => `${name}_FILE`),
];
