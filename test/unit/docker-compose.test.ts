import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV_NAMES, SECRET_NAMES } from '../../src/platform/config';
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
  expose?: (string | number)[];
  volumes?: (string | Record<string, unknown>)[];
  secrets?: (string | { source: string; target?: string })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  deploy?: { replicas?: number; resources?: { limits?: { cpus?: string; memory?: string } } };
  restart?: string;
  logging?: { driver?: string; options?: Record<string, string> };
  stop_grace_period?: string;
}
interface Compose {
  services: Record<string, Service>;
  secrets?: Record<string, { file?: string; environment?: string }>;
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
/** A value with compose's `${NAME:-default}` replaced by its default (what runs when NAME is unset). */
const withDefaults = (v: string) => v.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const args = (v: string | string[] | undefined): string[] => (Array.isArray(v) ? v : v ? v.split(/\s+/) : []);
const dependsOn = (s: Service): Record<string, string | undefined> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, undefined]))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([k, v]) => [k, v?.condition]));
/** Host port → container port of each published port (defaults applied). */
const published = (s: Service): Map<number, number> =>
  new Map(
    (s.ports ?? []).map((p) => {
      const parts = withDefaults(String(p)).split(':');
      return [Number(parts.at(-2) ?? parts.at(-1)), Number(parts.at(-1))];
    }),
  );
const secretsOf = (s: Service): string[] => (s.secrets ?? []).map((x) => (typeof x === 'string' ? x : x.source));
const seconds = (text: string) => {
  const m = /^(\d+)\s*(seconds?|s|minutes?|m)$/.exec(text.trim());
  if (!m) throw new Error(`cannot read duration ${text}`);
  return Number(m[1]) * (m[2].startsWith('m') ? 60 : 1);
};
const oneShot = (s: Service) => s.restart === 'no' || /^on-failure(:\d+)?$/.test(s.restart ?? '');

/** The services built from this repository: they run the service's own code. */
const appServices = Object.entries(services).filter(([, s]) => s.build !== undefined);
const appServiceNames = appServices.map(([name]) => name);
/** The service's processes and the one-shot jobs that run its code. */
const APP_ROLES = ['api', 'migrate', 'schedules', 'worker'];

describe('docker-compose.yml', () => {
  it('runs the service as four roles of one image: migrations, schedules, workers and the API', () => {
    expect(appServiceNames.sort()).toEqual(APP_ROLES);
    const images = new Set(appServices.map(([, s]) => s.image));
    expect(images.size).toBe(1);
    const entry = Object.fromEntries(appServices.map(([name, s]) => [name, args(s.command).join(' ')]));
    expect(entry).toEqual({
      api: 'node dist/api/main.js',
      migrate: 'node dist/cli/migrate.js',
      schedules: 'node dist/cli/schedules.js',
      worker: 'node dist/worker/main.js',
    });
  });

  it('sets, on the app services, only environment variables the config module reads', () => {
    for (const [name, s] of appServices) {
      const unknown = Object.keys(env(s)).filter((key) => !ENV_NAMES.includes(key));
      expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
    }
  });

  it('hands every secret over as a compose secret file read through *_FILE, never as a value in the environment', () => {
    const declared = compose.secrets ?? {};
    for (const [name, s] of Object.entries(services)) {
      const e = env(s);
      for (const [key, value] of Object.entries(e)) {
        // No secret value, nor a ${HOST_VAR} carrying one, in any service's environment.
        if (!/FILE$/.test(key) && /SECRET|PASSWORD|_KEY$|_KEYS$|DATABASE(_MIGRATION)?_URL$/.test(key))
          expect({ service: name, key, value }).toEqual({ service: name, key, value: expect.stringMatching(/^$/) });
        if (/(__)?FILE$/.test(key) && value.startsWith('/run/secrets/')) {
          const secret = value.slice('/run/secrets/'.length);
          expect({ service: name, key, mounted: secretsOf(s).includes(secret) }).toEqual({
            service: name,
            key,
            mounted: true,
          });
        }
      }
      // Every secret a service mounts is declared as a file, and used by that service.
      for (const secret of secretsOf(s)) {
        expect({ secret, file: declared[secret]?.file }).toEqual({
          secret,
          file: expect.stringMatching(/^\.\/secrets\//),
        });
        const used =
          Object.values(e).includes(`/run/secrets/${secret}`) ||
          JSON.stringify([s.entrypoint, s.command, s.healthcheck]).includes(`/run/secrets/${secret}`);
        expect({ service: name, secret, used }).toEqual({ service: name, secret, used: true });
      }
    }
    for (const name of APP_ROLES) {
      const e = env(service(name));
      expect(e.NODE_ENV).toBe('production');
      for (const secret of SECRET_NAMES) expect(e[`${secret}_FILE`]).toMatch(/^\/run\/secrets\//);
    }
    // The script that writes the files exists, and the files stay out of git and the build context.
    expect(existsSync(join(root, 'deploy/compose/init-secrets.sh'))).toBe(true);
    expect(read('.gitignore')).toMatch(/^\/?secrets\/?$/m);
    expect(read('.dockerignore')).toMatch(/^\/?secrets\/?$/m);
  });

  it('gives each process only the keys it needs', () => {
    const holders = (secret: string) =>
      Object.entries(services)
        .filter(([, s]) => secretsOf(s).includes(secret))
        .map(([name]) => name)
        .sort();
    expect(holders('database_migration_url')).toEqual(['migrate']);
    expect(holders('app_db_owner_password')).toEqual(['app-db']);
    expect(holders('temporal_db_password')).toEqual(['temporal', 'temporal-db', 'temporal-schema']);
    expect(holders('notify_webhook_secret')).toEqual(['worker']);
    for (const old of ['master_old_keys', 'codec_old_keys', 'audit_old_keys'])
      expect(holders(old)).toEqual(['api', 'worker']);
    expect(holders('grafana_admin_password')).toEqual(['grafana']);
    // Temporal's UI, jobs and the observability services hold none of the service's keys.
    for (const name of [
      'temporal-ui',
      'temporal-cli',
      'temporal-namespace',
      'temporal-search-attributes',
      'prometheus',
      'api-proxy',
    ])
      expect({ name, secrets: secretsOf(service(name)) }).toEqual({ name, secrets: [] });
  });

  it('gives the API, the workers and the jobs the same settings, apart from what each role needs', () => {
    const { API_HOST, API_PORT, TRUST_PROXY, ...apiRest } = env(service('api'));
    expect({ API_HOST, API_PORT, TRUST_PROXY }).toEqual({ API_HOST: '0.0.0.0', API_PORT: '3000', TRUST_PROXY: '1' });
    const { NOTIFY_WEBHOOK_URL, NOTIFY_WEBHOOK_SECRET_FILE, ...workerRest } = env(service('worker'));
    expect(NOTIFY_WEBHOOK_SECRET_FILE).toBeDefined();
    expect(NOTIFY_WEBHOOK_URL).toBeDefined();
    expect(workerRest).toEqual(apiRest);
    const oldKeys = ['MASTER_OLD_KEYS_FILE', 'CODEC_OLD_KEYS_FILE', 'AUDIT_OLD_KEYS_FILE'];
    const core = Object.fromEntries(Object.entries(apiRest).filter(([k]) => !oldKeys.includes(k)));
    const { DATABASE_MIGRATION_URL_FILE, ...migrateRest } = env(service('migrate'));
    expect(migrateRest).toEqual(core);
    expect(DATABASE_MIGRATION_URL_FILE).toBe('/run/secrets/database_migration_url');
    expect(env(service('schedules'))).toEqual(core);
    expect(core.TEMPORAL_CREATE_SCHEDULES).toBe('false');
  });

  it("runs the migrations as the owner role and the API and workers as another, without the owner's credentials", () => {
    expect(env(service('app-db')).POSTGRES_USER).toBe('leads_owner');
    expect(env(service('app-db')).POSTGRES_PASSWORD_FILE).toBe('/run/secrets/app_db_owner_password');
    const script = read('deploy/compose/init-secrets.sh');
    const url = (secret: string) =>
      new RegExp(`write ${secret} "postgres://([a-z_]+):\\$\\(read_back (\\w+)\\)@app-db:5432/leads"`).exec(script);
    const owner = url('database_migration_url');
    const app = url('database_url');
    expect(owner?.slice(1)).toEqual(['leads_owner', 'app_db_owner_password']);
    expect(app?.[1]).not.toBe('leads_owner');
    expect(app?.[2]).not.toBe('app_db_owner_password');
    for (const name of ['api', 'worker', 'schedules'])
      expect(env(service(name))).not.toHaveProperty('DATABASE_MIGRATION_URL_FILE');
  });

  it("has the app's Postgres, a Temporal server on its own Postgres, the Web UI decoding through the API, several workers and the API", () => {
    const app = env(service('api'));
    expect(service('app-db').image).toBe('postgres:16');
    expect(service('temporal-db').image).toBe('postgres:16');

    const temporal = service('temporal');
    expect(temporal.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(env(temporal)).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'temporal-db' });
    // 512 history shards unless overridden, and only before the cluster is first created.
    expect(withDefaults(env(temporal).NUM_HISTORY_SHARDS)).toBe('512');
    expect(env(temporal).NUM_HISTORY_SHARDS).toMatch(/^\$\{[A-Z_]+:-512\}$/);
    expect(env(temporal).PROMETHEUS_ENDPOINT).toMatch(/:\d+$/);
    expect(app.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(app.TEMPORAL_TASK_QUEUE).toBe('lead-cases');

    // One version for the server and its admin tools.
    const serverVersion = temporal.image!.split(':')[1];
    for (const [name, s] of Object.entries(services).filter(([, x]) => x.image?.startsWith('temporalio/admin-tools:')))
      expect({ name, tag: s.image!.split(':')[1] }).toEqual({ name, tag: serverVersion });

    const ui = service('temporal-ui');
    expect(ui.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
    expect(env(ui).TEMPORAL_ADDRESS).toBe('temporal:7233');
    // The browser calls the codec: it must be the API's codec route at the port the proxy publishes.
    const codec = new URL(withDefaults(env(ui).TEMPORAL_CODEC_ENDPOINT));
    expect(codec.pathname).toBe('/v1/codec');
    expect(published(service('api-proxy')).get(Number(codec.port))).toBe(8080);
    expect(read('deploy/compose/nginx.conf')).toMatch(/server api:3000 resolve;/);
    // ...and the API must allow the origin the UI is published at (configurable, defaulted).
    expect(app.WEB_UI_ORIGIN).toMatch(/^\$\{WEB_UI_ORIGIN:-/);
    const uiOrigin = new URL(withDefaults(app.WEB_UI_ORIGIN));
    expect(published(ui).get(Number(uiOrigin.port))).toBe(8080);

    expect(service('worker').deploy?.replicas).toBeGreaterThan(1);
    expect(service('api').healthcheck?.test?.toString()).toContain('/readyz');
  });

  it('lets the API scale: no fixed host port on it, one proxy in front that never forwards /metrics', () => {
    expect(service('api').ports ?? []).toEqual([]);
    expect(dependsOn(service('api-proxy'))).toMatchObject({ api: 'service_healthy' });
    expect(read('deploy/compose/nginx.conf')).toMatch(/location = \/metrics \{\s*return 404;/);
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
    for (const name of ['temporal', 'temporal-ui', 'prometheus', 'grafana', 'temporal-db', 'app-db']) {
      for (const ip of bindings(service(name)))
        expect({ service: name, loopback: loopback(ip) }).toEqual({ service: name, loopback: true });
    }
    expect(published(service('temporal')).size).toBe(0);

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

  it('sets up Temporal with jobs: schema before the server, then the namespace with its retention, then the search attributes', () => {
    const schema = service('temporal-schema');
    expect(schema.image).toMatch(/^temporalio\/admin-tools:/);
    const script = read('deploy/temporal/setup-schema.sh');
    for (const step of ['create', 'setup-schema -v 0.0', 'update-schema -d']) expect(script).toContain(step);
    expect(script).toContain('temporal-sql-tool');
    expect(script).toContain('/versioned');
    expect(script).toMatch(/^setup "\$\{DBNAME:-temporal\}" temporal$/m);
    expect(script).toMatch(/^setup "\$\{VISIBILITY_DBNAME:-temporal_visibility\}" visibility$/m);
    expect(JSON.stringify(schema.volumes)).toContain('deploy/temporal/setup-schema.sh');
    expect(dependsOn(service('temporal'))).toMatchObject({
      'temporal-db': 'service_healthy',
      'temporal-schema': 'service_completed_successfully',
    });

    const ns = service('temporal-namespace');
    expect(withDefaults(env(ns).TEMPORAL_NAMESPACE_RETENTION)).toMatch(/^\d+h$/);
    expect(read('deploy/temporal/create-namespace.sh')).toMatch(/--retention "\$retention"/);
    expect(dependsOn(ns)).toMatchObject({ temporal: 'service_healthy' });
    expect(dependsOn(service('temporal-search-attributes'))).toMatchObject({
      'temporal-namespace': 'service_completed_successfully',
    });
  });

  it('checks real readiness: Postgres over TCP, Temporal through its cluster health, the workers through /healthz', () => {
    for (const name of ['app-db', 'temporal-db'])
      expect(String(service(name).healthcheck?.test)).toMatch(/pg_isready -h 127\.0\.0\.1 /);
    const temporal = service('temporal').healthcheck?.test as string[];
    expect(temporal.join(' ')).toMatch(/temporal operator cluster health/);
    // The CLI the check runs is copied by a one-shot job into a volume the server mounts read-only.
    expect(String(service('temporal-cli').entrypoint)).toContain('/opt/temporal-cli/temporal');
    expect((service('temporal-cli').volumes ?? []).map(String)).toContain('temporal-cli:/opt/temporal-cli');
    expect((service('temporal').volumes ?? []).map(String)).toContain('temporal-cli:/opt/temporal-cli:ro');
    expect(dependsOn(service('temporal'))).toMatchObject({ 'temporal-cli': 'service_completed_successfully' });
    expect(String(service('worker').healthcheck?.test)).toContain('9465/healthz');
  });

  it('retries the migrations until they succeed (they take an advisory lock) and gates the app on them', () => {
    expect(service('migrate').restart).toMatch(/^on-failure/);
    expect(service('schedules').restart).toMatch(/^on-failure/);
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
    const name = 'temporal-search-attributes';
    const s = service(name);
    expect(s.image).toMatch(/^temporalio\/admin-tools:/);

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
    for (const name of ['api', 'worker', 'schedules']) {
      expect(dependsOn(service(name))).toMatchObject({
        'app-db': 'service_healthy',
        migrate: 'service_completed_successfully',
        temporal: 'service_healthy',
        'temporal-namespace': 'service_completed_successfully',
        'temporal-search-attributes': 'service_completed_successfully',
      });
    }
    expect(dependsOn(service('migrate'))).toMatchObject({ 'app-db': 'service_healthy' });
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
          expect({ dep, oneShot: oneShot(services[dep]) }).toEqual({ dep, oneShot: true });
      }
    }
  });

  it("limits every service's resources and rotates every log", () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, memory: s.deploy?.resources?.limits?.memory }).toEqual({
        name,
        memory: expect.stringMatching(/^\d+[mg]$/),
      });
      expect({ name, cpus: s.deploy?.resources?.limits?.cpus }).toEqual({
        name,
        cpus: expect.stringMatching(/^[\d.]+$/),
      });
      expect({ name, driver: s.logging?.driver, maxSize: s.logging?.options?.['max-size'] }).toEqual({
        name,
        driver: 'json-file',
        maxSize: expect.stringMatching(/^\d+[km]$/),
      });
    }
  });

  it('gives the workers a stop grace above their drain, and the API one above its 20 s', () => {
    const worker = read('src/worker/worker.ts');
    const graces = [...worker.matchAll(/shutdownGraceTime[^'\n]*'([^']+)'/g)].map((m) => seconds(m[1]));
    expect(graces.length).toBeGreaterThan(0);
    expect(seconds(service('worker').stop_grace_period!)).toBeGreaterThanOrEqual(Math.max(...graces) + 15);
    expect(seconds(service('api').stop_grace_period!)).toBeGreaterThan(20);
  });

  it('scrapes the API, every worker and the Temporal server, with dashboards and alert rules in deploy/', () => {
    const prom = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        dns_sd_configs?: { names: string[]; port: number }[];
        static_configs?: { targets: string[] }[];
      }[];
    };
    const job = (name: string) => prom.scrape_configs.find((j) => j.job_name === name);
    expect(job('api')?.dns_sd_configs?.[0]).toMatchObject({ names: ['api'], port: 3000 });
    expect(job('worker')?.dns_sd_configs?.[0]).toMatchObject({ names: ['worker'], port: 9464 });
    const serverMetrics = env(service('temporal')).PROMETHEUS_ENDPOINT.split(':').at(-1);
    expect(job('temporal')?.static_configs?.[0].targets).toEqual([`temporal:${serverMetrics}`]);

    const rules = parse(read('deploy/prometheus/alerts.yml')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const exprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n');
    for (const metric of [
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'temporal_workflow_task_execution_failed',
      'temporal_activity_execution_failed',
      'lce_sla_overdue_cases',
      'lce_erasure_backlog_cases',
      'lce_outbox_oldest_undelivered_seconds',
      'lce_audit_checkpoint_age_seconds',
    ])
      expect({ metric, alerted: exprs.includes(metric) }).toEqual({ metric, alerted: true });
    const dashboard = JSON.parse(read('deploy/grafana/dashboards/lead-case-engine.json')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const panelExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)).join('\n');
    for (const metric of [
      'temporal_workflow_task_schedule_to_start_latency_bucket',
      'lce_sla_overdue_cases',
      'lce_erasure_backlog_cases',
    ])
      expect(panelExprs).toContain(metric);
    expect((service('prometheus').volumes ?? []).map(String).join(' ')).toContain('./deploy/prometheus');
    expect((service('grafana').volumes ?? []).map(String).join(' ')).toContain('./deploy/grafana/dashboards');
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
    expect([...entryPoints].sort()).toEqual([
      'dist/api/main.js',
      'dist/cli/migrate.js',
      'dist/cli/schedules.js',
      'dist/worker/main.js',
    ]);
    for (const file of entryPoints) {
      expect(existsSync(join(root, file!.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('builds on a supported Node LTS, pinned by digest when NODE_DIGEST is given', () => {
    const arg = (name: string) => new RegExp(`^ARG ${name}=(.*)$`, 'm').exec(dockerfile)?.[1];
    // An even major still in support (22: to 2027-04-30; 24: to 2028-04-30), a Debian slim variant.
    expect(arg('NODE_TAG')).toMatch(/^node:(22|24)-(bookworm|trixie)-slim$/);
    expect(arg('NODE_DIGEST')).toMatch(/^(sha256:[0-9a-f]{64})?$/);
    expect(arg('NODE_IMAGE')).toBe('${NODE_TAG}${NODE_DIGEST:+@}${NODE_DIGEST}');
    for (const stage of stages) expect(stage[0]).toMatch(/^FROM \$\{NODE_IMAGE\} AS \w+$/);
  });

  it('installs exactly the lockfile (npm ci), never npm install', () => {
    const installs = instructions.filter((l) => /\bnpm (ci|install|i)\b/.test(l) && l.startsWith('RUN'));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const line of installs) {
      expect(line).toMatch(/\bnpm ci\b/);
      expect(line).not.toMatch(/\bnpm (install|i)\b/);
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
