// Flat config: typescript-eslint's strictTypeChecked (type-aware, via the project service) over
// every TypeScript file, so no-floating-promises, no-misused-promises and friends run.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The same split as the production line count: tests and their helpers.
const testFiles = [
  '**/*.test.ts',
  '**/test-support/**',
  'test/**',
  '**/test/**',
  '**/*fixtures*/**',
  '**/test-fakes*',
  '**/test-helpers*',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdk.out/',
      '.cache/',
      '.stack/',
      'bench/results/',
      'test-artifacts/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Numbers and booleans print unambiguously in a template; objects, nullish values and
      // unions with them still need an explicit conversion.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // `() => void work()`-style arrow shorthands (callbacks, event handlers) return nothing
      // anyone reads; the rule still flags void values used as expressions elsewhere.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    files: testFiles,
    rules: {
      // A `!` on a missing value throws, which fails the test with a stack pointing at it: the
      // assertion a guard would add.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Fakes implement async interfaces (clients, stores, handlers) without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // aws-cdk-lib/assertions types template JSON as `any` (Template.findResources, toJSON); these
    // tests read CloudFormation properties out of it, and a wrong path fails the assertion.
    files: ['infra/test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The plain JavaScript files (browser page, the bare-node watchdog and its process check, this
    // config) are in no tsconfig project; they get the non-type-aware rules only.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
