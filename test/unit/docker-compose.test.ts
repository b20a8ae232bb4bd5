import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_NAMES } from '../../src/platform/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/platform/temporal/search-attributes';

/**
 * docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so these tests read
 * them and check them against the code they deploy.
 */
const root = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | Record<string, unknown>)[];
  volumes?: (string | Record<string, unknown>)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  deploy?: { replicas?: number };
  restart?: string;
}
interface Compose {
  services: Record<string, Service>;
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services;
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};
const env = (s: Service): Record<string, string> => {
  if (Array.isArray(s.environment)) throw new Error('write environment as a mapping, not a list');
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
};
const args = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v ? v.split(/\s+/) : []);
const dependsOn = (s: Service): Record<string, string | undefined> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, undefined]))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v?.condition]));
/** Host port → container port of each published port. */
const published = (s: Service): Map<number, number> =>
  new Map(
    (s.ports ?? []).map((p) => {
      const parts = String(p).split(':');
      return [Number(parts.at(-2) ?? parts.at(-1)), Number(parts.at(-1))];
    }),
  );

/** The services built from this repository: they run the service's own code. */
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const appServiceNames = appServices.map(([name]) => name);

describe('docker-compose.yml', () => {
  it('runs the service as three roles of one image: migrations, workers and the API', () => {
    expect(appServiceNames.sort()).toEqual(['api', 'migrate', 'worker']);
    const images = new Set(appServices.map(([, s]) => s.image));
    expect(images.size).toBe(1);
  });

  it('sets, on the app services, only environment variables the config module reads', () => {
    for (const [name, s] of appServices) {
      const unknown = Object.keys(env(s)).filter((key) => !ENV_NAMES.includes(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('supplies every secret the config requires in production, from the host and never a value in the file', () => {
    for (const name of ['api', 'worker', 'migrate']) {
      const e = env(service(name));
      expect(e.NODE_ENV).toBe('production');
      for (const secret of ['JWT_SECRET', 'MASTER_KEY', 'BLIND_INDEX_KEY', 'CODEC_KEY', 'AUDIT_KEY']) {
        // `${NAME:?message}`: compose stops with the message when the host has not set it.
        expect({ service: name, secret, value: e[secret] }).toEqual({
          service: name,
          secret,
          value: expect.stringMatching(new RegExp(`^\\$\\{${secret}:\\?[^}]+\\}$`)),
        });
      }
    }
  });

  it('gives the API, the workers and the migrations the same settings', () => {
    const { API_HOST, API_PORT, ...apiRest } = env(service('api'));
    expect({ API_HOST, API_PORT }).toEqual({ API_HOST: '0.0.0.0', API_PORT: '3000' });
    expect(env(service('worker'))).toEqual(apiRest);
    const { DATABASE_MIGRATION_URL, ...migrateRest } = env(service('migrate'));
    expect(migrateRest).toEqual(apiRest);
    expect(DATABASE_MIGRATION_URL).toBeDefined();
  });

  it("runs the migrations as the owner role and the API and workers as another, without the owner's credentials", () => {
    const user = (url: string) => new URL(url.replace(/\$\{[^}]*\}/g, 'x')).username;
    const owner = env(service('app-db')).POSTGRES_USER;
    const migrationUrl = env(service('migrate')).DATABASE_MIGRATION_URL;
    expect(user(migrationUrl)).toBe(owner);
    expect(new URL(migrationUrl.replace(/\$\{[^}]*\}/g, 'x')).host).toBe('app-db:5432');
    for (const name of ['api', 'worker', 'migrate']) {
      const appUser = user(env(service(name)).DATABASE_URL);
      expect({ service: name, appUser, isOwner: appUser === owner }).toEqual({
        service: name,
        appUser,
        isOwner: false,
      });
    }
    for (const name of ['api', 'worker']) expect(env(service(name))).not.toHaveProperty('DATABASE_MIGRATION_URL');
    // The two roles' passwords come from the host, and differ.
    const password = (url: string) => /:(\$\{[A-Z_]+):\?/.exec(url)?.[1];
    expect(password(migrationUrl)).toBe('${APP_DB_OWNER_PASSWORD');
    expect(password(env(service('api')).DATABASE_URL)).toBe('${APP_DB_PASSWORD');
    expect(env(service('app-db')).POSTGRES_PASSWORD).toMatch(/^\$\{APP_DB_OWNER_PASSWORD:\?/);
  });

  it("has the app's Postgres, a Temporal server on its own Postgres, the Web UI decoding through the API, several workers and the API", () => {
    const app = env(service('api'));

    expect(service('app-db').image).toBe('postgres:16');
    expect(new URL(app.DATABASE_URL.replace(/\$\{[^}]*\}/g, 'x')).host).toBe('app-db:5432');

    const temporal = service('temporal');
    expect(temporal.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
    expect(env(temporal)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-db' });
    expect(service('temporal-db').image).toBe('postgres:16');
    expect(app.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(app.TEMPORAL_TASK_QUEUE).toBe('lead-cases');

    const ui = service('temporal-ui');
    expect(ui.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(env(ui).TEMPORAL_ADDRESS).toBe('temporal:7233');
    // The browser calls the codec: it must be the API's codec route at the port the API publishes.
    const codec = new URL(env(ui).TEMPORAL_CODEC_ENDPOINT);
    expect(codec.pathname).toBe('/v1/codec');
    expect(published(service('api')).get(Number(codec.port))).toBe(3000);
    // ...and the API must allow the origin the UI is published at.
    const uiOrigin = new URL(app.WEB_UI_ORIGIN);
    expect(published(ui).get(Number(uiOrigin.port))).toBe(8080);

    expect(service('worker').deploy?.replicas).toBeGreaterThan(1);
    expect(service('api').healthcheck?.test?.toString()).toContain('/healthz');
  });

  it("keeps Temporal's frontend off the host and the Web UI on loopback, read-only, with the codec called with credentials", () => {
    /** The host address each port is published on ('' for every interface). */
    const bindings = (s: Service) =>
      (s.ports ?? []).map((p) => {
        if (typeof p === 'object') return String((p as { host_ip?: string }).host_ip ?? '');
        const parts = String(p).split(':');
        return parts.length >= 3
          ? parts
              .slice(0, -2)
              .join(':')
              .replace(/^\[|\]$/g, '')
          : '';
      });
    const loopback = (ip: string) => ip === '127.0.0.1' || ip === '::1' || ip === 'localhost';
    for (const name of ['temporal', 'temporal-ui']) {
      for (const ip of bindings(service(name)))
        expect({ service: name, loopback: loopback(ip) }).toEqual({ service: name, loopback: true });
    }
    expect(published(service('temporal')).has(7233)).toBe(false);

    const ui = env(service('temporal-ui'));
    expect(ui.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(ui.TEMPORAL_BATCH_ACTIONS_DISABLED).toBe('true');
    expect(ui.TEMPORAL_CODEC_INCLUDE_CREDENTIALS).toBe('true');
    // The UI has no sign-in of its own in this file: were it turned on, the codec gets its token.
    if (ui.TEMPORAL_AUTH_ENABLED === 'true') expect(ui.TEMPORAL_CODEC_PASS_ACCESS_TOKEN).toBe('true');
  });

  it('pins every image it pulls to a version', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) continue;
      expect({ service: name, image: s.image }).toEqual({
        service: name,
        image: expect.stringMatching(/^[^:]+:(?!latest$)[\w.-]+$/),
      });
    }
  });

  it('registers every search attribute the workflows use, with its type, and no others', () => {
    const cliType: Record<string, string> = {
      KEYWORD: 'Keyword',
      TEXT: 'Text',
      INT: 'Int',
      DOUBLE: 'Double',
      BOOL: 'Bool',
      DATETIME: 'Datetime',
      KEYWORD_LIST: 'KeywordList',
    };
    const registrar = Object.entries(services).find(([, s]) => s.image?.startsWith('temporalio/admin-tools:'));
    if (!registrar) throw new Error('no temporalio/admin-tools service registers the search attributes');
    const [name, s] = registrar;

    const registered = args(s.command).filter((a) => /^\w+=\w+$/.test(a));
    expect(registered.sort()).toEqual(ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${cliType[k.type]}`).sort());
    expect(env(s).TEMPORAL_ADDRESS).toBe('temporal:7233');

    // The script it runs is in the repository.
    const script = (s.volumes ?? []).map(String).find((v) => v.includes('register-search-attributes.sh'));
    expect(script).toBeDefined();
    const source = script!.split(':')[0];
    expect(existsSync(join(root, source))).toBe(true);
    expect(read(source)).toContain('temporal operator search-attribute create');

    // The workers must not start before the attributes they set exist.
    expect(dependsOn(service('worker'))[name]).toBe('service_completed_successfully');
  });

  it('starts what the app needs before it', () => {
    for (const name of ['api', 'worker']) {
      expect(dependsOn(service(name))).toMatchObject({
        'app-db': 'service_healthy',
        migrate: 'service_completed_successfully',
        temporal: 'service_healthy',
      });
    }
    expect(dependsOn(service('migrate'))).toMatchObject({ 'app-db': 'service_healthy' });
    expect(dependsOn(service('temporal'))).toMatchObject({ 'temporal-db': 'service_healthy' });
    expect(dependsOn(service('temporal-ui'))).toHaveProperty('temporal');
  });

  it('waits on health only where there is a healthcheck, and on completion only for one-shot jobs', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        expect({ service: name, dependency: dep, exists: dep in services }).toEqual({
          service: name,
          dependency: dep,
          exists: true,
        });
        if (condition === 'service_healthy')
          expect({ dep, healthcheck: Boolean(services[dep].healthcheck?.test) }).toEqual({ dep, healthcheck: true });
        if (condition === 'service_completed_successfully')
          expect({ dep, restart: services[dep].restart }).toEqual({ dep, restart: 'no' });
      }
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const line of instructions) {
    if (/^FROM\s/i.test(line)) stages.push([]);
    stages.at(-1)?.push(line);
  }

  it('runs only entry points the build emits (src/X.ts becomes dist/X.js)', () => {
    const build = JSON.parse(read('tsconfig.build.json')) as { compilerOptions: { rootDir: string; outDir: string } };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });

    const cmd = instructions.filter((l) => l.startsWith('CMD')).at(-1);
    const commands = [JSON.parse(cmd!.slice('CMD'.length)) as string[], ...appServices.map(([, s]) => args(s.command))];
    const entryPoints = new Set(commands.map((c) => c.find((a) => a.startsWith('dist/'))));
    expect([...entryPoints].sort()).toEqual(['dist/api/main.js', 'dist/cli/migrate.js', 'dist/worker/main.js']);
    for (const file of entryPoints) {
      expect(existsSync(join(root, file!.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('skips the Temporal binary download in every npm install', () => {
    const withCi = stages.filter((stage) => stage.some((l) => /\bnpm (ci|install)\b/.test(l)));
    expect(withCi.length).toBeGreaterThanOrEqual(2);
    for (const stage of withCi) {
      const before = stage
        .slice(
          0,
          stage.findIndex((l) => /\bnpm (ci|install)\b/.test(l)),
        )
        .join('\n');
      expect(before).toMatch(/^ENV\b.*\bTEMPORAL_CLI_PATH=/m);
      expect(before).toMatch(/^ENV\b.*\bTEMPORAL_TEST_SERVER_PATH=/m);
    }
  });

  it('ships production dependencies only and runs as a non-root user', () => {
    const runtime = stages.at(-1)!;
    const deps = runtime.find((l) => /^COPY\s+--from=\S+\s+\S*node_modules/.test(l));
    expect(deps).toBeDefined();
    const from = /--from=(\S+)/.exec(deps!)![1];
    const depsStage = stages.find((s) => new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${from}$`, 'i').test(s[0]));
    expect(depsStage?.join('\n')).toMatch(/npm (ci|install)\b.*--omit=dev/);
    const user = runtime.filter((l) => l.startsWith('USER')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
  });

  it('copies only files that exist and that .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = instructions
      .filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l))
      .flatMap((l) =>
        l
          .split(/\s+/)
          .slice(1)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect({ src, exists: existsSync(join(root, src)) }).toEqual({ src, exists: true });
      expect({ src, ignored: ignored.includes(src.split('/')[0]) }).toEqual({ src, ignored: false });
    }
  });
});
