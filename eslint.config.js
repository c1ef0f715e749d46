import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', '**/drizzle/**', '**/.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read the environment only in a config module (config.ts).',
        },
      ],
    },
  },
  {
    // A promise nobody awaits or handles loses its rejection: an unhandled rejection ends a
    // service, and a promise passed where a callback is expected is never awaited at all.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // Config modules, scripts and test set-up are where the environment is read.
    files: [
      '**/bench/**',
      '**/config.ts',
      'scripts/**',
      '**/test/**',
      'packages/test-harness/**',
      '**/*.config.ts',
      'packages/ipfs/src/**/*.test.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
