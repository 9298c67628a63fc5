// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The core pipeline stays framework-free: Express lives only at the edges (ops server).
    files: ['src/gateway/**/*.ts', 'src/k8s/**/*.ts', 'src/estimate/**/*.ts', 'src/admit/**/*.ts', 'src/simulator/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'express', message: 'Keep Express out of the core; use it in src/ops only.' }] }],
    },
  },
);
