import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ENV_NAMES } from '../../src/platform/config';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/platform/temporal/search-attributes';
import {
  API_DRAIN_SECONDS,
  API_PRESTOP_SECONDS,
  IMAGE,
  K8S_DIR,
  render,
  SEARCH_ATTRIBUTES,
  SECRETS,
  WORKER_SHUTDOWN_SECONDS,
} from '../../scripts/k8s';

/**
 * deploy/k8s/*.yaml is rendered by scripts/k8s.ts from typed kubernetes-models objects, each validated
 * against the Kubernetes schema. No cluster here: these tests check the rendering is what is committed,
 * and the properties a rollout depends on.
 */
type Obj = any;

const rendered = render(); // throws when any object fails its schema validation
const objects: Obj[] = Object.values(rendered).flatMap((text) =>
  parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter(Boolean),
);
const find = (kind: string, name: string): Obj => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
const containerOf = (o: Obj) => o.spec.template.spec.containers[0];
const podOf = (o: Obj) => o.spec.template.spec;
const envOf = (c: Obj): Record<string, string> => Object.fromEntries((c.env ?? []).map((e: Obj) => [e.name, e.value]));
const seconds = (text: string) => {
  const m = /^(\d+)\s*(seconds?|s|minutes?|m)$/.exec(text.trim());
  if (!m) throw new Error(`cannot read duration ${text}`);
  return Number(m[1]) * (m[2].startsWith('m') ? 60 : 1);
};
/** The longest shutdownGraceTime the workers are created with (src/worker/worker.ts). */
const workerGraceInCode = Math.max(
  ...[
    ...readFileSync(join(__dirname, '..', '..', 'src', 'worker', 'worker.ts'), 'utf8').matchAll(
      /shutdownGraceTime[^'\n]*'([^']+)'/g,
    ),
  ].map((m) => seconds(m[1])),
);
const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
const appWorkloads = workloads.filter((o) => containerOf(o).image === IMAGE);

describe('deploy/k8s', () => {
  it('is exactly what scripts/k8s.ts renders (run `npx tsx scripts/k8s.ts` after changing it)', () => {
    const committed = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml'));
    expect(committed.sort()).toEqual(Object.keys(rendered).sort());
    for (const file of committed) {
      expect({ file, same: readFileSync(join(K8S_DIR, file), 'utf8') === rendered[file] }).toEqual({
        file,
        same: true,
      });
    }
  });

  it('runs the API behind /readyz, with a preStop and a grace longer than preStop plus its drain', () => {
    const api = find('Deployment', 'lead-case-engine-api');
    const c = containerOf(api);
    expect(c.command).toEqual(['node', 'dist/api/main.js']);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', String(API_PRESTOP_SECONDS)]);
    expect(podOf(api).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      API_PRESTOP_SECONDS + API_DRAIN_SECONDS + 5,
    );
    expect(api.spec.replicas).toBeGreaterThan(1);
    expect(api.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const svc = find('Service', 'lead-case-engine-api');
    expect(svc.spec.selector).toEqual(api.spec.selector.matchLabels);
    expect(find('PodDisruptionBudget', 'lead-case-engine-api').spec.selector).toEqual(api.spec.selector);
  });

  it('runs the workers with a health probe on WORKER_HEALTH_PORT, metrics, a PDB and a grace above their shutdown', () => {
    const worker = find('Deployment', 'lead-case-engine-worker');
    const c = containerOf(worker);
    const env = envOf(c);
    expect(c.command).toEqual(['node', 'dist/worker/main.js']);
    const port = (name: string) => c.ports.find((p: Obj) => p.name === name)?.containerPort;
    expect(port('health')).toBe(Number(env.WORKER_HEALTH_PORT));
    expect(env.WORKER_METRICS_ADDRESS).toBe(`0.0.0.0:${port('metrics')}`);
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
      expect(probe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    }
    expect(WORKER_SHUTDOWN_SECONDS).toBeGreaterThanOrEqual(workerGraceInCode);
    expect(podOf(worker).terminationGracePeriodSeconds).toBeGreaterThan(WORKER_SHUTDOWN_SECONDS);
    const pdb = find('PodDisruptionBudget', 'lead-case-engine-worker');
    expect(pdb.spec.selector).toEqual(worker.spec.selector);
    expect(pdb.spec.minAvailable).toBeLessThan(worker.spec.replicas);
  });

  it('has Jobs for migrations, search attributes and schedules, in that order', () => {
    const jobs = objects.filter((o) => o.kind === 'Job');
    const byComponent = (c: string) => jobs.find((j) => j.metadata.labels['app.kubernetes.io/component'] === c);
    const wave = (j: Obj) => Number(j.metadata.annotations['argocd.argoproj.io/sync-wave']);
    const migrate = byComponent('migrate');
    const attrs = byComponent('search-attributes');
    const schedules = byComponent('schedules');
    expect(containerOf(migrate).command).toEqual(['node', 'dist/cli/migrate.js']);
    expect(containerOf(schedules).command).toEqual(['node', 'dist/cli/schedules.js']);
    expect(wave(migrate)).toBeLessThan(wave(attrs));
    expect(wave(attrs)).toBeLessThan(wave(schedules));
    for (const j of jobs) expect(podOf(j).restartPolicy).not.toBe('Always');

    // Every search attribute the workflows set, with its type, and no others.
    const cliType: Record<string, string> = {
      KEYWORD: 'Keyword',
      TEXT: 'Text',
      INT: 'Int',
      DOUBLE: 'Double',
      BOOL: 'Bool',
      DATETIME: 'Datetime',
      KEYWORD_LIST: 'KeywordList',
    };
    expect([...containerOf(attrs).args].sort()).toEqual([...SEARCH_ATTRIBUTES].sort());
    expect([...SEARCH_ATTRIBUTES].sort()).toEqual(
      ALL_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${cliType[k.type]}`).sort(),
    );
  });

  it('reads every secret from a mounted Secret key through *_FILE, and no process holds a key it does not need', () => {
    for (const o of workloads) {
      const pod = podOf(o);
      const c = containerOf(o);
      const mounts = new Map<string, Obj>(c.volumeMounts.map((m: Obj) => [m.mountPath, m]));
      const volumes = new Map<string, Obj>(pod.volumes.map((v: Obj) => [v.name, v]));
      for (const e of c.env ?? []) {
        expect(e.valueFrom?.secretKeyRef).toBeUndefined(); // files, not environment values
        if (!/_FILE$|_PATH$|^TEMPORAL_TLS_(CERT|KEY|CA)$/.test(e.name) || !String(e.value).startsWith('/run/secrets/'))
          continue;
        const dir = e.value.slice(0, e.value.lastIndexOf('/'));
        const file = e.value.slice(e.value.lastIndexOf('/') + 1);
        const volume = volumes.get(mounts.get(dir)?.name);
        expect({ env: e.name, mounted: Boolean(volume?.secret) }).toEqual({ env: e.name, mounted: true });
        const secret = volume.secret.secretName as keyof typeof SECRETS;
        expect(SECRETS[secret]).toContain(file);
        expect(volume.secret.items.map((i: Obj) => i.path)).toContain(file);
      }
      // Every key mounted is referenced by a variable: nothing extra is handed to the process.
      const referenced = new Set((c.env ?? []).map((e: Obj) => e.value));
      for (const m of c.volumeMounts) {
        const v = volumes.get(m.name);
        if (!v.secret) continue;
        for (const item of v.secret.items) expect(referenced).toContain(`${m.mountPath}/${item.path}`);
      }
      // A secret is never in the ConfigMap.
      expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    }
    const owner = (o: Obj) => podOf(o).volumes.some((v: Obj) => v.secret?.secretName === 'lead-case-engine-db-owner');
    expect(appWorkloads.filter(owner).map((o) => o.metadata.labels['app.kubernetes.io/component'])).toEqual([
      'migrate',
    ]);
    const notify = (o: Obj) => podOf(o).volumes.some((v: Obj) => v.secret?.secretName === 'lead-case-engine-notify');
    expect(appWorkloads.filter(notify).map((o) => o.metadata.labels['app.kubernetes.io/component'])).toEqual([
      'worker',
    ]);
  });

  it('sets on the service only variables the config module reads, and no secret in its ConfigMap', () => {
    const config = find('ConfigMap', 'lead-case-engine-config');
    for (const key of Object.keys(config.data))
      expect({ key, known: ENV_NAMES.includes(key) }).toEqual({ key, known: true });
    for (const key of Object.keys(config.data)) expect(key).not.toMatch(/SECRET|_KEY$|PASSWORD|DATABASE_URL/);
    expect(config.data.TEMPORAL_CREATE_SCHEDULES).toBe('false');
    for (const o of appWorkloads) {
      for (const name of Object.keys(envOf(containerOf(o))))
        expect({ name, known: ENV_NAMES.includes(name) }).toEqual({ name, known: true });
    }
  });
});
