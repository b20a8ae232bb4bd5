/**
 * The Kubernetes manifests of the lead case engine, written as typed objects with `kubernetes-models`
 * (each object is checked against the Kubernetes OpenAPI schema by its own `validate()`), rendered to
 * deploy/k8s/*.yaml.
 *
 *   npx tsx scripts/k8s.ts           # writes deploy/k8s/*.yaml
 *   npx tsx scripts/k8s.ts --check   # exits 1 when the committed files differ from the rendering
 *
 * test/unit/k8s-manifests.test.ts asserts the same (rendered equals committed) and the probes, graces
 * and secret references. The Temporal server itself comes from temporalio/helm-charts with
 * deploy/temporal/helm-values.yaml; these manifests point the service at its frontend.
 */
import { readFileSync, readdirSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodSpec } from 'kubernetes-models/v1';
import {
  root,
  NS,
  APP,
  version,
  IMAGE,
  ADMIN_TOOLS_IMAGE,
  TEMPORAL_ADDRESS,
  SEARCH_ATTRIBUTES,
  API_DRAIN_SECONDS,
  API_PRESTOP_SECONDS,
  WORKER_SHUTDOWN_SECONDS,
  labels,
  selector,
  secretFiles,
  keys,
  db,
  dbOwner,
  notify,
  temporalTls,
  CONFIG,
  containerSecurity,
  podSecurity,
  podSpec,
  httpProbe,
} from './k8s-lib';

export {
  API_DRAIN_SECONDS,
  API_PRESTOP_SECONDS,
  IMAGE,
  SEARCH_ATTRIBUTES,
  SECRETS,
  WORKER_SHUTDOWN_SECONDS,
} from './k8s-lib';

export const K8S_DIR = join(root, 'deploy', 'k8s');

// ---- the objects -------------------------------------------------------------------------------------
function base() {
  return [
    new Namespace({ metadata: { name: NS, labels: { 'app.kubernetes.io/part-of': APP } } }),
    new ServiceAccount({
      metadata: { name: APP, namespace: NS, labels: labels('service') },
      automountServiceAccountToken: false,
    }),
    new ConfigMap({
      metadata: { name: CONFIG, namespace: NS, labels: labels('config') },
      // Non-secret settings shared by every process (docs/configuration.md). Secrets come as *_FILE.
      data: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        TEMPORAL_ADDRESS,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: 'lead-cases',
        TEMPORAL_TLS: 'true',
        // Schedules come from the schedules Job only (one writer per release).
        TEMPORAL_CREATE_SCHEDULES: 'false',
        WEB_UI_ORIGIN: 'https://temporal-ui.example.internal',
        MASTER_KEY_ID: 'prod-1',
        CODEC_KEY_ID: 'codec-1',
        AUDIT_KEY_ID: 'audit-1',
        DATABASE_POOL_MAX: '10',
      },
    }),
    new ConfigMap({
      metadata: { name: 'lead-case-engine-temporal-scripts', namespace: NS, labels: labels('temporal-jobs') },
      data: {
        'register-search-attributes.sh': readFileSync(
          join(root, 'deploy', 'temporal', 'register-search-attributes.sh'),
          'utf8',
        ),
      },
    }),
  ];
}

function api() {
  const k = keys(true);
  const name = 'lead-case-engine-api';
  return [
    new Deployment({
      metadata: { name, namespace: NS, labels: labels('api') },
      spec: {
        replicas: 3,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector('api') },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: {
            labels: labels('api'),
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': '3000',
              'prometheus.io/path': '/metrics',
            },
          },
          spec: podSpec(
            [db(), k, temporalTls()],
            {
              name: 'api',
              image: IMAGE,
              command: ['node', 'dist/api/main.js'],
              env: [
                { name: 'API_HOST', value: '0.0.0.0' },
                { name: 'API_PORT', value: '3000' },
                // One ingress hop in front: believe its X-Forwarded-For.
                { name: 'TRUST_PROXY', value: '1' },
              ],
              ports: [{ name: 'http', containerPort: 3000 }],
              startupProbe: httpProbe('/healthz', 'http', { failureThreshold: 30, periodSeconds: 2 }),
              livenessProbe: httpProbe('/healthz', 'http'),
              readinessProbe: httpProbe('/readyz', 'http', { periodSeconds: 5 }),
              // Keep serving while the endpoint leaves every load balancer, then drain (SIGTERM).
              lifecycle: { preStop: { exec: { command: ['sleep', String(API_PRESTOP_SECONDS)] } } },
              resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '512Mi' } },
            },
            {
              terminationGracePeriodSeconds: API_PRESTOP_SECONDS + API_DRAIN_SECONDS + 15,
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: 'kubernetes.io/hostname',
                  whenUnsatisfiable: 'ScheduleAnyway',
                  labelSelector: { matchLabels: selector('api') },
                },
              ],
            },
          ),
        },
      },
    }),
    new Service({
      metadata: { name, namespace: NS, labels: labels('api') },
      spec: { selector: selector('api'), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    }),
    new PodDisruptionBudget({
      metadata: { name, namespace: NS, labels: labels('api') },
      spec: { maxUnavailable: 1, selector: { matchLabels: selector('api') } },
    }),
  ];
}

function worker() {
  const name = 'lead-case-engine-worker';
  return [
    new Deployment({
      metadata: { name, namespace: NS, labels: labels('worker') },
      spec: {
        replicas: 3,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selector('worker') },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } },
        template: {
          metadata: {
            labels: labels('worker'),
            annotations: {
              'prometheus.io/scrape': 'true',
              'prometheus.io/port': '9464',
              'prometheus.io/path': '/metrics',
            },
          },
          spec: podSpec(
            [db(), keys(true), notify(), temporalTls()],
            {
              name: 'worker',
              image: IMAGE,
              command: ['node', 'dist/worker/main.js'],
              env: [
                { name: 'WORKER_METRICS_ADDRESS', value: '0.0.0.0:9464' },
                { name: 'WORKER_HEALTH_PORT', value: '9465' },
                { name: 'WORKFLOW_BUNDLE_PATH', value: '/app/dist/workflow-bundle.js' },
              ],
              ports: [
                { name: 'metrics', containerPort: 9464 },
                { name: 'health', containerPort: 9465 },
              ],
              startupProbe: httpProbe('/healthz', 'health', { failureThreshold: 30, periodSeconds: 2 }),
              livenessProbe: httpProbe('/healthz', 'health', { failureThreshold: 6 }),
              readinessProbe: httpProbe('/healthz', 'health'),
              resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
            },
            {
              terminationGracePeriodSeconds: WORKER_SHUTDOWN_SECONDS + 15,
              topologySpreadConstraints: [
                {
                  maxSkew: 1,
                  topologyKey: 'kubernetes.io/hostname',
                  whenUnsatisfiable: 'ScheduleAnyway',
                  labelSelector: { matchLabels: selector('worker') },
                },
              ],
            },
          ),
        },
      },
    }),
    new PodDisruptionBudget({
      metadata: { name, namespace: NS, labels: labels('worker') },
      spec: { minAvailable: 2, selector: { matchLabels: selector('worker') } },
    }),
  ];
}

/** Run in this order on every release: migrate, then search attributes, then schedules; then roll out. */
function jobs() {
  const job = (component: string, wave: number, spec: IPodSpec) =>
    new Job({
      metadata: {
        name: `lead-case-engine-${component}-${version.replace(/\./g, '-')}`,
        namespace: NS,
        labels: labels(component),
        annotations: { 'argocd.argoproj.io/sync-wave': String(wave), 'argocd.argoproj.io/hook': 'PreSync' },
      },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 900,
        ttlSecondsAfterFinished: 86400,
        template: { metadata: { labels: labels(component) }, spec: { ...spec, restartPolicy: 'OnFailure' } },
      },
    });

  const tls = secretFiles('temporal-tls', 'lead-case-engine-temporal-tls', {
    TEMPORAL_TLS_CERT: 'tls.crt',
    TEMPORAL_TLS_KEY: 'tls.key',
    TEMPORAL_TLS_CA: 'ca.crt',
  });
  const scripts = {
    volume: { name: 'scripts', configMap: { name: 'lead-case-engine-temporal-scripts', defaultMode: 0o555 } },
    mount: { name: 'scripts', mountPath: '/scripts', readOnly: true },
  };

  return [
    // Migrations under the owner role, with a PostgreSQL advisory lock (two runs never interleave).
    job(
      'migrate',
      -3,
      podSpec([db(), dbOwner(), keys(false)], {
        name: 'migrate',
        image: IMAGE,
        command: ['node', 'dist/cli/migrate.js'],
        resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      }),
    ),
    // Registers every search attribute of src/platform/temporal/search-attributes.ts; safe to repeat.
    job('search-attributes', -2, {
      automountServiceAccountToken: false,
      securityContext: podSecurity,
      volumes: [scripts.volume, tls.volume],
      containers: [
        {
          name: 'register',
          image: ADMIN_TOOLS_IMAGE,
          command: ['/bin/sh', '/scripts/register-search-attributes.sh'],
          args: SEARCH_ATTRIBUTES,
          env: [
            { name: 'TEMPORAL_ADDRESS', value: TEMPORAL_ADDRESS },
            { name: 'TEMPORAL_NAMESPACE', value: 'default' },
            { name: 'TEMPORAL_TLS', value: 'true' },
            ...tls.env,
          ],
          volumeMounts: [scripts.mount, tls.mount],
          securityContext: containerSecurity,
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        },
      ],
    }),
    // Creates the schedules or brings them back to their definition: one writer per release.
    job(
      'schedules',
      -1,
      podSpec([db(), keys(false), temporalTls()], {
        name: 'schedules',
        image: IMAGE,
        command: ['node', 'dist/cli/schedules.js'],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      }),
    ),
  ];
}

function network() {
  return [
    // The API takes traffic from the ingress; the workers take none but the metrics scrape and kubelet probes.
    new NetworkPolicy({
      metadata: { name: 'lead-case-engine-worker', namespace: NS, labels: labels('worker') },
      spec: {
        podSelector: { matchLabels: selector('worker') },
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
            ports: [{ port: 9464 }],
          },
        ],
      },
    }),
  ];
}

/** File name -> the objects it holds, in order. */
export function manifests(): Record<string, { toJSON(): unknown; validate(): void }[]> {
  return {
    '00-base.yaml': base(),
    '10-jobs.yaml': jobs(),
    '20-api.yaml': api(),
    '30-worker.yaml': worker(),
    '40-network.yaml': network(),
  };
}

const HEADER =
  '# Generated by scripts/k8s.ts (npx tsx scripts/k8s.ts); do not edit. Validated against the Kubernetes\n' +
  '# schema by kubernetes-models; test/unit/k8s-manifests.test.ts checks it matches the script.\n';

/** Validates every object and returns each file's text. */
export function render(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, objects] of Object.entries(manifests())) {
    for (const o of objects) o.validate();
    const docs = objects.map((o) => stringify(JSON.parse(JSON.stringify(o.toJSON())), { lineWidth: 0 }));
    out[file] = HEADER + docs.map((d) => `---\n${d}`).join('');
  }
  return out;
}

if (require.main === module) {
  const rendered = render();
  const committed = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml'));
  if (process.argv.includes('--check')) {
    const stale = [
      ...Object.keys(rendered).filter((f) => readFileSafe(join(K8S_DIR, f)) !== rendered[f]),
      ...committed.filter((f) => !(f in rendered)),
    ];
    if (stale.length) {
      process.stderr.write(`deploy/k8s is out of date (${stale.join(', ')}): run npx tsx scripts/k8s.ts\n`);
      process.exit(1);
    }
    process.stdout.write(`deploy/k8s: ${Object.keys(rendered).length} files valid and current\n`);
  } else {
    for (const f of committed) if (!(f in rendered)) unlinkSync(join(K8S_DIR, f));
    for (const [f, text] of Object.entries(rendered)) writeFileSync(join(K8S_DIR, f), text);
    process.stdout.write(`wrote ${Object.keys(rendered).length} files to deploy/k8s\n`);
  }
}

function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
