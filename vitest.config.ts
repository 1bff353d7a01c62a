import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/secret-scan.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores here: two test files at a time keeps PostgreSQL and the emulators responsive.
    maxWorkers: 2,
    // The JSON report gives .ci/run its exact pass/fail counts.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    env: { NODE_OPTIONS: '--disable-warning=ExperimentalWarning' },
  },
});
