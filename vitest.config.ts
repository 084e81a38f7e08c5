import { defineConfig } from 'vitest/config';

// Three projects: `unit` (pure core with in-memory fakes), `integration` (real local servers: the TiDB Cloud
// simulator, DNS, TCP, mysql2) and `sandbox` (needs Debian packages: moto, MariaDB; see scripts/sandbox/).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          // The packaged roles the worlds enforce (testing/iam), made before any test waits for them.
          globalSetup: ['test/integration/global-setup.ts'],
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'sandbox',
          include: ['test/sandbox/**/*.test.ts'],
          globalSetup: ['test/sandbox/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
