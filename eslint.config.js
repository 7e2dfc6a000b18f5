// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A relative import that reaches the repository's top-level folder `name` (from any depth). */
const folder = (name) => `^(\\.\\./)+${name}/`;
const forbid = (names, why) => names.map((name) => ({ regex: folder(name), message: `${why} (imports run lib <- db <- activities <- workflows; api, worker, scripts, loadtest, client on top).` }));

const nodeBuiltins = ['fs', 'path', 'crypto', 'http', 'https', 'net', 'os', 'child_process', 'worker_threads'];
const ioModules = ['postgres', 'drizzle-orm', 'drizzle-orm/*', 'pino', 'ws', 'koa', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

/** What each layer may not import; anything not listed is allowed. */
const layers = {
  lib: { forbidden: ['db', 'activities', 'workflows', 'api', 'worker', 'scripts', 'loadtest', 'web', 'test'], why: 'lib is pure domain and imports nothing of ours' },
  db: { forbidden: ['activities', 'workflows', 'api', 'worker', 'scripts', 'loadtest', 'web', 'test'], why: 'db sits on lib only' },
  activities: { forbidden: ['workflows', 'api', 'worker', 'scripts', 'loadtest', 'web', 'test'], why: 'activities sit on db and lib only' },
  workflows: { forbidden: ['db', 'api', 'worker', 'scripts', 'loadtest', 'web', 'test'], why: 'workflows sit on lib and activity types only' },
  api: { forbidden: ['worker', 'scripts', 'loadtest', 'web', 'test'], why: 'the API never imports a process of another layer on top' },
  worker: { forbidden: ['api', 'scripts', 'loadtest', 'web', 'test'], why: 'workers never import the API or the tools on top' },
  'web/src': { forbidden: ['db', 'activities', 'workflows', 'worker', 'scripts', 'loadtest', 'test'], why: 'the page talks to the public API only' },
  client: { forbidden: ['db', 'activities', 'workflows', 'worker', 'scripts', 'loadtest', 'web', 'test'], why: 'the terminal client talks to the public API only' },
};

function layerRules() {
  return Object.entries(layers).map(([name, { forbidden, why }]) => {
    const patterns = forbid(forbidden, why);
    if (name === 'workflows') {
      // Workflow code is replayed: deterministic, free of side effects.
      patterns.push(
        { group: ['node:*', ...nodeBuiltins], message: 'Workflow code must not use Node built-ins: do it in an activity.' },
        { group: ioModules, message: 'Workflow code must not do I/O: do it in an activity.' },
        { group: ['../lib/config*', '../lib/logger*'], message: 'Workflow code must not open connections or read the environment.' },
      );
      return {
        files: ['workflows/**/*.ts'],
        rules: {
          'no-restricted-imports': ['error', { patterns }],
          '@typescript-eslint/consistent-type-imports': 'off',
          '@typescript-eslint/no-restricted-imports': [
            'error',
            { patterns: [{ group: ['../activities/*', '../activities/**'], message: 'Import activity types only (import type).', allowTypeImports: true }] },
          ],
        },
      };
    }
    if (name === 'web/src' || name === 'client') {
      // The page and the terminal client may use the contract's and the protocol's types, never the API's code.
      return {
        files: [`${name}/**/*.ts`],
        rules: {
          'no-restricted-imports': ['error', { patterns }],
          '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ regex: folder('api'), message: `${name} imports the API's types only (import type).`, allowTypeImports: true }] }],
        },
      };
    }
    return { files: [`${name}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
  });
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'scratch/**', '.data/**', 'loadtest/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A forgotten await of an activity or a query is a bug.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  // Layers: imports run one way, lib <- db <- activities <- workflows (activity types only), with
  // api, worker, scripts and loadtest on top. Each folder names the folders it must not import.
  ...layerRules(),
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', console: 'readonly' } },
  },
);
