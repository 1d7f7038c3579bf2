// ESLint flat config. `npm run lint` runs this and `prettier --check`; `npm run format` fixes both.
import js from '@eslint/js';
import eslintConfigPrettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

const tsFiles = ['apps/**/*.ts', 'libs/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts'];

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', '.cache/', 'coverage/', 'test-output/'] },

  // Plain JavaScript: recommended rules only, no type information.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: globals.node },
  },
  // The dashboard's browser code (served as-is by the notifier).
  {
    files: ['apps/notifier/public/js/**/*.js'],
    languageOptions: { globals: globals.browser },
  },

  // TypeScript: type-aware rules through the TypeScript project service (tsconfig.json).
  {
    files: tsFiles,
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // A leading underscore marks a parameter an interface requires but this implementation does not use.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },

  // Tests and their helpers.
  {
    files: [
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      '**/*.e2e-spec.ts',
      'apps/*/test/**/*.ts',
      'examples/*/test/**/*.ts',
      'test/**/*.ts',
    ],
    rules: {
      // Specs read HTTP/JSON response bodies, JSON.parse results and untyped pg rows as `any` on purpose and
      // assert them field by field with expect(); typing every response shape would only restate the assertions.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Kafka eachMessage / ConsumerRunner handle() stubs must return promises; `async` keeps a throw a rejection.
      '@typescript-eslint/require-await': 'off',
    },
  },

  // Must stay last: turns off the stylistic rules Prettier owns.
  eslintConfigPrettier,
);
