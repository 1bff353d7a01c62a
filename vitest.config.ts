import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['test/support/secret-scan.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report gives .ci/run its exact pass/fail counts.
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    env: { NODE_OPTIONS: '--disable-warning=ExperimentalWarning' },
    // The gateways the tests start in-process run as `npm start` runs them (package.json): AsyncLocalStorage
    // (MikroORM's contexts) on async context frames instead of promise hooks on every promise.
    execArgv: ['--experimental-async-context-frame'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.isolated.test.ts'],
          // Two cores here: two test files at a time keeps PostgreSQL and the emulators responsive.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          // Measurements (memory of a 300 MB upload): after the suite, one file at a time, so that other
          // files' load does not inflate what they measure.
          name: 'isolated',
          include: ['test/**/*.isolated.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
