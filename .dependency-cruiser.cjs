/**
 * The boundaries of the code, checked by `npm run lint` (depcruise src bench).
 *
 * src/modules/<feature>/ holds one feature: its workflow, messages, rules, activities, service,
 * repository, routes and schemas. src/platform/ holds what the features share and knows none of
 * them. src/api, src/worker and src/dev put the pieces together into processes.
 *
 * Workflow code is replayed and must stay deterministic; rules must stay testable without I/O;
 * services must not know about HTTP; routes reach the database only through services; schemas,
 * shared by routes and services, stay free of either.
 */
const FEATURE = '^src/modules/[^/]+/';
const role = (name) => `${FEATURE}${name}(/|\\.ts$)`;

const PURE = [
  role('rules'),
  role('names'),
  '^src/platform/domain/',
  '^src/platform/config/policy\\.ts$',
  '^src/platform/temporal/(names|search-attributes)\\.ts$',
];
const WORKFLOW = [role('workflow'), role('messages'), '^src/platform/workflow/', '^src/worker/workflows\\.ts$'];
const CONTRACT = `${FEATURE}(activities/)?contract\\.ts$`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'workflow-imports-only-pure-code',
      comment:
        'Workflow code imports only workflow modules, messages, rules and activity contracts: I/O belongs in an activity.',
      severity: 'error',
      from: { path: WORKFLOW },
      to: { pathNot: [...WORKFLOW, ...PURE, CONTRACT], dependencyTypesNot: ['npm', 'type-only'] },
    },
    {
      name: 'workflow-uses-no-node-built-ins',
      comment: 'Workflow code runs in the SDK sandbox and is replayed: no Node built-ins.',
      severity: 'error',
      from: { path: WORKFLOW },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'workflow-uses-only-the-workflow-sdk',
      comment: 'Of the npm packages, workflow code may use the workflow SDK, its common types and zod.',
      severity: 'error',
      from: { path: WORKFLOW },
      to: { dependencyTypes: ['npm'], pathNot: ['node_modules/@temporalio/(workflow|common)/', 'node_modules/zod/'] },
    },
    {
      name: 'rules-do-no-io',
      comment: 'Rules import only other rules (and zod for the policy schema).',
      severity: 'error',
      from: { path: PURE },
      to: { pathNot: [...PURE, 'node_modules/zod/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'services-know-no-http',
      comment: 'Services and repositories throw domain errors; only the routes and src/platform/http know HTTP.',
      severity: 'error',
      from: { path: [role('service'), role('repository'), role('activities')] },
      to: { path: [role('routes'), '^src/platform/http/', '^src/api/', 'node_modules/express/'] },
    },
    {
      name: 'schemas-are-a-neutral-contract',
      comment:
        'The request and response schemas are shared by the routes and the services: they use rules and zod, nothing with I/O or HTTP.',
      severity: 'error',
      from: { path: role('schemas') },
      to: { pathNot: [role('schemas'), ...PURE, 'node_modules/zod/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'routes-do-not-touch-the-database',
      comment:
        'Routes call services; SQL lives in repositories (the readiness probe is one trivial query, the one exception).',
      severity: 'error',
      from: {
        path: [role('routes'), '^src/platform/http/health-routes\\.ts$', '^src/platform/temporal/codec-routes\\.ts$'],
      },
      to: {
        path: [role('repository'), '^src/platform/db/', 'node_modules/(typeorm|pg)/'],
        pathNot: ['^src/platform/db/readiness\\.ts$'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'platform-knows-no-feature',
      comment: 'What the features share does not depend on any one of them.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/modules/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'features-do-not-import-the-processes',
      comment: 'src/api, src/worker and src/dev assemble the features; a feature never reaches back into them.',
      severity: 'error',
      from: { path: '^src/(modules|platform)/' },
      to: { path: '^src/(api|worker|dev)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['^dist/', '^node_modules/'] },
  },
};
