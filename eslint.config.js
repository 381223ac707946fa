// Lint (npm run lint, run by CI): ESLint's and typescript-eslint's recommended rules over lib/, test/, bench/
// and scripts/. `any` is allowed: it marks the untyped native boundary and generic defaults on purpose, and the
// public option types are checked by test/types.test.ts instead.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'build-prebuild/', 'prebuilds/', 'node_modules/', '.gpu/', 'docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // Comma sequences of assignments are used as statements (`if (x) (a = 1), (b = 2)`) across the code base.
      '@typescript-eslint/no-unused-expressions': 'off',
      // `_`-prefixed names mark values dropped on purpose (destructuring that removes fields, unused callback args).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Tests pass error classes around as `Function` (the constructors they expect thrown).
    files: ['test/**'],
    rules: { '@typescript-eslint/no-unsafe-function-type': 'off' },
  },
)
