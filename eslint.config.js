import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const NO_ONLY = { selector: 'CallExpression[callee.property.name="only"]', message: 'no .only in tests' };

// One `no-restricted-imports` block per file group. ESLint applies only the LAST matching block's
// options for a rule, so a block for `apps/server/src/platform/**` would silently drop what a block
// for `apps/server/**` said. Here each group's block also carries the restrictions of every group
// that contains it, and blocks come general → specific. Globs are `dir/**` or `dir/**/*.suffix`;
// two groups that overlap without one containing the other stop the config from loading.
function importBlocks(groups) {
  const prefixOf = (g) => {
    const m = /^(.*?)\/\*\*(\/\*[^/*]+)?$/.exec(g.files[0]);
    if (!m || g.files.length !== 1) throw new Error(`importBlocks: use one 'dir/**' or 'dir/**/*.suffix' glob (got ${g.files})`);
    return { dir: m[1] + '/', whole: !m[2] };
  };
  const contains = (outer, inner) => {
    const o = prefixOf(outer);
    const i = prefixOf(inner);
    if (outer === inner) return true;
    if (!i.dir.startsWith(o.dir) && !o.dir.startsWith(i.dir)) return false;
    if (o.whole && i.dir.startsWith(o.dir)) return true;
    if (i.whole && o.dir.startsWith(i.dir)) return false;
    throw new Error(`importBlocks: ${outer.files[0]} and ${inner.files[0]} overlap without one containing the other`);
  };
  return groups
    .map((g) => ({ g, from: groups.filter((h) => contains(h, g)) }))
    .sort((a, b) => a.from.length - b.from.length)
    .map(({ g, from }) => {
      const paths = from.flatMap((h) => h.paths ?? []);
      const patterns = from.flatMap((h) => h.patterns ?? []);
      return { files: g.files, rules: { 'no-restricted-imports': ['error', { ...(paths.length ? { paths } : {}), ...(patterns.length ? { patterns } : {}) }] } };
    });
}

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
      'no-restricted-syntax': ['error', NO_ONLY],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  // Type-aware rules: a promise is awaited, returned or explicitly voided (`void p` where nobody
  // needs the outcome), and never handed to a callback that ignores it. Each file is checked with
  // its package's tsconfig; tool configuration files (*.config.ts) are in no tsconfig and skip it.
  {
    files: ['**/*.ts', '**/*.svelte'],
    ignores: ['**/*.config.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.svelte'] } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
    },
  },
  // Configuration is read once, in env modules (apps/server/src/env.ts, test/utils/env.ts, …):
  // everything else receives parsed values. Tool configuration files run outside the product.
  {
    files: ['**/*.ts', '**/*.svelte'],
    ignores: ['**/env.ts', '**/*.config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration in an env.ts module and pass the parsed value.' }],
      'no-restricted-syntax': [
        'error',
        NO_ONLY,
        { selector: 'ImportDeclaration[source.value=/^(node:)?process$/] > ImportSpecifier[imported.name="env"]', message: 'Read configuration in an env.ts module and pass the parsed value.' },
      ],
    },
  },
  // Imports. ESLint keeps only the last `no-restricted-imports` that matches a file, so every rule
  // about imports is listed here once and each file group gets ONE block that merges all of the
  // restrictions applying to it (dependency direction + the server's layout).
  ...importBlocks([
    // Package dependency direction: core ← db/metrics/collab ← server/web (docs/design.md).
    { files: ['packages/core/**'], patterns: [{ group: ['@accord/*'], message: 'Dependency direction: core depends on nothing of ours.' }] },
    { files: ['packages/metrics/**'], patterns: [{ group: ['@accord/*', 'zod', 'yjs'], message: 'Dependency direction: metrics is pure statistics with no dependencies.' }] },
    {
      files: ['packages/collab/**'],
      patterns: [{ group: ['@accord/*', '!@accord/core', 'socket.io', 'hono', 'drizzle-orm', 'drizzle-orm/*', 'pg'], message: 'Dependency direction: collab depends on core only and is transport- and storage-agnostic.' }],
    },
    { files: ['packages/db/**'], patterns: [{ group: ['@accord/*', '!@accord/core'], message: 'Dependency direction: db depends on core only.' }] },
    { files: ['packages/client/**'], patterns: [{ group: ['@accord/*', '!@accord/core'], message: 'Dependency direction: the client depends on core only.' }] },
    {
      files: ['apps/web/**'],
      patterns: [{ group: ['@accord/*', '!@accord/core', '!@accord/collab', '!@accord/metrics', '!@accord/client', 'drizzle-orm', 'drizzle-orm/*', 'pg', 'hono', 'socket.io'], message: 'Dependency direction: the web app uses core, collab, metrics and the client; never the database or the server code.' }],
    },
    { files: ['apps/server/**'], patterns: [{ group: ['@accord/web', '@accord/test'], message: 'Dependency direction: the server never imports the web app or the tests.' }] },
    // Server layout (apps/server/README.md): a service holds domain rules and knows neither HTTP,
    // Socket.IO nor SQL; its repository is the only code that speaks to the database.
    {
      files: ['apps/server/src/features/**/*.service.ts'],
      paths: [
        { name: 'drizzle-orm', message: 'SQL belongs in the feature\'s repository (<domain>.repo.ts).' },
        { name: '@accord/db', message: 'Database access belongs in the feature\'s repository; a service may import types only.', allowTypeImports: true },
        { name: 'hono', message: 'HTTP belongs in <domain>.routes.ts.' },
        { name: 'socket.io', message: 'Sockets belong in platform/realtime.' },
      ],
      patterns: [{ group: ['drizzle-orm/*', 'hono/*', 'socket.io/*'], message: 'Services know neither SQL, HTTP nor sockets.' }],
    },
    // A feature's repository is private to it.
    {
      files: ['apps/server/src/features/**'],
      patterns: [{ group: ['../*/*.repo.ts', '../*/*.repo'], message: 'Another feature\'s data comes through its service (passed in deps), never its repository.' }],
    },
    // The platform serves every feature and imports none of them (src/routes.ts and src/deps.ts compose them).
    {
      files: ['apps/server/src/platform/**'],
      patterns: [{ group: ['**/features', '**/features/*', '**/features/**'], message: 'platform/ must not import features/.' }],
    },
  ]),
);
