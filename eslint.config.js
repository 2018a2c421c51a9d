import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'test/readme/.blocks/**', 'scripts/smoke/recipes/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', performance: 'readonly', Response: 'readonly', Headers: 'readonly', URLSearchParams: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // The core decides; it knows no framework and none of the subpaths built on it.
    files: ['lib/core/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['express', 'fastify', 'fastify-plugin', 'ioredis'],
        patterns: [
          { group: ['@nestjs/*'], message: 'lib/core imports no framework (see shared/STYLE.md).' },
          { group: ['**/nest/*', '**/express/*', '**/fastify/*', '**/redis/*', '**/client/*', '**/testing/*'], message: 'lib/core must not depend on the subpaths built on it.' },
        ],
      }],
    },
  },
  {
    // The other modules reach core through its one door, lib/core/kernel/index.ts: what core
    // shares is listed there, and everything else in core stays private to it.
    files: ['lib/client/**', 'lib/redis/**', 'lib/testing/**', 'lib/express/**', 'lib/nest/**', 'lib/fastify/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            regex: '^(\\.\\./)+core/(?!kernel/index\\.js$)',
            message: 'Import core through lib/core/kernel/index.js (export what you need there); core\'s other files are private to it.',
          },
        ],
      }],
    },
  },
  {
    files: ['test/**', 'scripts/**', 'sample-app/**', 'bench/**'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Nest injects constructor parameters by their runtime type: a type-only import would break DI.
    files: ['lib/nest/**', 'sample-app/src/**', 'test/**'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
);
