import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores here: two test files at a time keeps PostgreSQL and the emulators responsive.
    maxWorkers: 2,
    reporters: ['default'],
    env: { NODE_OPTIONS: '--disable-warning=ExperimentalWarning' },
  },
});
