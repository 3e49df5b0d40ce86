// Lint runs as part of `npm test`. rules/ and the Wasm rule fixtures are AssemblyScript, not TypeScript. Type-aware rules stay off: tsc already typechecks, and the
// type-aware pass would double the lint time for little gain.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/shared/eql/generated/**', 'native/**/build/**', 'bench/results/**', 'bench/.baseline/**', 'coverage/**', 'rules/**', 'test/fixtures/wasm-rules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', SharedArrayBuffer: 'readonly', Atomics: 'readonly', WebAssembly: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly', performance: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // The layering the tree shows: main may use workers and shared; an event's walk through the
    // workers (predicate stage, state stage) and shared code never reaches back into main.
    files: ['src/workers/**/*.ts', 'src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/main/**', '../main/*', '../../main/*'], message: 'src/workers and src/shared must not import from src/main' }] }],
    },
  },
);
