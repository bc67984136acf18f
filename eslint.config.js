// Type-aware lint: catches floating promises and misused async that tsc lets through.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', 'console/build/**', 'node_modules/**', '.tap/**', 'data/**', 'coverage/**', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
      // Fastify plugins and handlers are async by convention even when they do not await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Packages are imported through their entry points: the compiler through sql/compile.ts (and
    // the plan it produces, sql/plan.ts), the engine through engine/index.ts, the functions below
    // both through functions/index.ts. Tests may reach inside to test a part on its own.
    files: ['src/**/*.ts', 'plugins/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^(\\./|(\\.\\./)+)(src/)?sql/(?!(compile|plan)\\.js$)', message: 'import the compiler through sql/compile.js (or the plan types through sql/plan.js)' },
          { regex: '^(\\.\\./)+(src/)?engine/(?!index\\.js$)|^\\./engine/(?!index\\.js$)', message: 'import the engine through engine/index.js' },
          { regex: '^(\\.\\./)+(src/)?functions/(?!index\\.js$)', message: 'import the functions through functions/index.js' },
        ],
      }],
    },
  },
  {
    // The web console runs in browsers (console/tsconfig.json has the DOM lib); its build script
    // is plain JavaScript outside every tsconfig, so it is linted without type information.
    files: ['console/src/**'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Plain JavaScript outside every tsconfig: the console's build, the CLI's bin shim (it imports
    // the compiled CLI from dist/) and npm start's pre-step.
    files: ['console/build.mjs', 'bin/*.js', 'scripts/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
);
