import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'drizzle/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Exactly one module reads the environment: src/config.ts.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through src/config.ts.',
        },
      ],
    },
  },
  {
    files: ['src/config.ts', 'test/**', 'bench/**', 'drizzle.config.ts', 'vitest.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Plain Node scripts that run before anything is built (npm start's build check).
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // A promise nobody awaits is a failure nobody sees: say `void` where that is meant.
    files: ['src/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // The layers: the core is platform-neutral and knows no store, queue or
    // metrics library (it reaches them through its ports); the queue knows
    // no platform.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['discord.js', '@discordjs/*', '@slack/*'],
              message: 'core/ stays platform-neutral.',
            },
            { group: ['**/platforms/**'], message: 'core/ must not import platform adapters.' },
            {
              group: ['bullmq', 'ioredis', 'pg', 'drizzle-orm', 'drizzle-orm/*', 'prom-client'],
              message: 'core/ reaches stores, the queue and metrics through its ports.',
            },
            {
              group: [
                '**/queue/**',
                '**/db/**',
                '../metrics.js',
                '../service.js',
                '../dashboard.js',
              ],
              message: 'core/ must not import the queue, the database or the wiring.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/queue/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['discord.js', '@discordjs/*', '@slack/*', '**/platforms/**'],
              message: 'queue/ knows no platform: it moves platform-neutral jobs.',
            },
          ],
        },
      ],
    },
  },
);
