/**
 * The boundaries between the layers, checked by `npm run lint` (depcruise src bench). Workflow code
 * is replayed and must stay deterministic; pure rules must stay testable without I/O; services must
 * not know about HTTP; routes reach the database only through services; the schemas both of them
 * use (src/schemas) stay free of either.
 */
const PURE = ['^src/domain/', '^src/config/policy\\.ts$', '^src/temporal/'];
const WORKFLOW_MAY_USE = ['^src/workflows/', ...PURE, '^src/activities/[a-z-]*contract\\.ts$'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'workflow-imports-only-pure-code',
      comment:
        'Workflow code imports only workflow modules, pure rules, message and activity contracts: I/O belongs in an activity.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: { pathNot: WORKFLOW_MAY_USE, dependencyTypesNot: ['npm', 'type-only'] },
    },
    {
      name: 'workflow-uses-no-node-built-ins',
      comment: 'Workflow code runs in the SDK sandbox and is replayed: no Node built-ins.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'workflow-uses-only-the-workflow-sdk',
      comment: 'Of the npm packages, workflow code may use the workflow SDK, its common types and zod.',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: { dependencyTypes: ['npm'], pathNot: ['node_modules/@temporalio/(workflow|common)/', 'node_modules/zod/'] },
    },
    {
      name: 'pure-rules-do-no-io',
      comment: 'Pure rules import only other pure rules (and zod for the policy schema).',
      severity: 'error',
      from: { path: PURE },
      to: { pathNot: [...PURE, 'node_modules/zod/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'services-know-no-http',
      comment: 'Services throw domain errors; only the API knows HTTP.',
      severity: 'error',
      from: { path: '^src/services/' },
      to: { path: ['^src/api/', 'node_modules/express/'] },
    },
    {
      name: 'schemas-are-a-neutral-contract',
      comment:
        'The request and response schemas are shared by the API and the services: they use pure rules and zod, nothing with I/O or HTTP.',
      severity: 'error',
      from: { path: '^src/schemas/' },
      to: { pathNot: ['^src/schemas/', ...PURE, 'node_modules/zod/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'routes-do-not-touch-the-database',
      comment: 'Routes call services; SQL lives with the services and repositories.',
      severity: 'error',
      from: { path: '^src/api/routes/' },
      to: { path: ['^src/db/(?!audit\\.ts$)', 'node_modules/(typeorm|pg)/'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['^dist/', '^node_modules/'] },
  },
};
