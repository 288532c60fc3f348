import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Packages talk through their entries only: `@atelier/<name>` (and `@atelier/<name>/testing` from
// tests). The package graph itself (declared dependencies, layers, cycles) is checked by
// test/architecture/dependency-graph.test.ts.
const DEEP_IMPORTS = [
  { regex: '^#libs/', message: 'Import the package instead: @atelier/<name> (the #libs map is gone).' },
  { regex: '^@atelier/[^/]+/(?!testing$)', message: 'Import a package through its entry (@atelier/<name> or @atelier/<name>/testing), never its src/ or dist/ files.' },
];
const TESTING_ENTRIES = [
  { regex: '^@atelier/([^/]+/testing|testing)$', message: 'Production code never imports test helpers (./testing entries, @atelier/testing).' },
];

const ROOT = path.dirname(fileURLToPath(import.meta.url));

/** The folder a file may reach with relative imports: its package (libs/<x>, apps/<x>) or top-level folder (test, bench, scripts). */
function boundaryOf(file) {
  const parts = path.relative(ROOT, file).split(path.sep);
  return parts[0] === 'libs' || parts[0] === 'apps' ? path.join(ROOT, parts[0], parts[1]) : path.join(ROOT, parts[0]);
}

const noRelativeEscape = {
  meta: { type: 'problem', schema: [], messages: { escape: "'{{source}}' leaves {{boundary}}: import the other package by its name (@atelier/<name>)." } },
  create(context) {
    const boundary = boundaryOf(context.filename);
    const check = (node) => {
      const source = node?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = path.resolve(path.dirname(context.filename), source);
      if (target !== boundary && !target.startsWith(boundary + path.sep)) {
        context.report({ node, messageId: 'escape', data: { source, boundary: path.relative(ROOT, boundary) } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'out/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { atelier: { rules: { 'no-relative-escape': noRelativeEscape } } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { patterns: DEEP_IMPORTS }],
      'atelier/no-relative-escape': 'error',
    },
  },
  {
    // Production code: the packages' sources without their tests and test helpers.
    files: ['libs/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**', 'libs/testing/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [...DEEP_IMPORTS, ...TESTING_ENTRIES] }] },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
