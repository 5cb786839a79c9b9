import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.turbo/**', '.accord/**', '**/drizzle/meta/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': ['error', { selector: 'CallExpression[callee.property.name="only"]', message: 'no .only in tests' }],
    },
  },
  // Server layout (apps/server/README.md): a service holds domain rules and knows neither HTTP,
  // Socket.IO nor SQL; its repository is the only code that speaks to the database.
  {
    files: ['apps/server/src/features/**/*.service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'drizzle-orm', message: 'SQL belongs in the feature\'s repository (<domain>.repo.ts).' },
            { name: '@accord/db', message: 'Database access belongs in the feature\'s repository; a service may import types only.', allowTypeImports: true },
            { name: 'hono', message: 'HTTP belongs in <domain>.routes.ts.' },
            { name: 'socket.io', message: 'Sockets belong in platform/realtime.' },
          ],
          patterns: [
            { group: ['drizzle-orm/*', 'hono/*', 'socket.io/*'], message: 'Services know neither SQL, HTTP nor sockets.' },
            { group: ['../*/*.repo.ts', '../*/*.repo'], message: 'Another feature\'s data comes through its service (passed in deps), never its repository.' },
          ],
        },
      ],
    },
  },
  // The platform serves every feature and imports none of them (src/routes.ts and src/deps.ts compose them).
  {
    files: ['apps/server/src/platform/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../features', '../features/*', '../../features', '../../features/*', '../../../features/*'], message: 'platform/ must not import features/.' }] },
      ],
    },
  },
  // A feature's repository is private to it.
  {
    files: ['apps/server/src/features/**/*.ts'],
    ignores: ['apps/server/src/features/**/*.service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../*/*.repo.ts', '../*/*.repo'], message: 'Another feature\'s data comes through its service (passed in deps), never its repository.' }] },
      ],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
);
