import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (beside the code, no services) and `integration`
 * (`*.integration.test.ts`, against the real Kafka broker, the real ClickHouse engine and
 * server, and real Chromium; the global setup starts the services unless the environment
 * points at running ones).
 */
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print one plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'src/**/*.test.ts',
            'services/**/*.test.ts',
            'deploy/**/*.test.ts',
            'scripts/**/*.test.ts',
          ],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          globalSetup: ['test/build-tracker.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.integration.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/build-tracker.ts', 'test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
