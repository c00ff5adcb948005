import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - `unit`: pure packages (ml, drift, streams, config, dashboard logic): no database, no network.
 * - `integration`: everything that talks to Postgres or a real port. Its global setup starts an
 *   embedded Postgres when DATABASE_URL is unset and hands the URL to every test file, which then
 *   creates a database of its own (see packages/db/src/testing.ts).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'packages/{ml,drift,streams,config}/src/**/*.test.ts',
            'packages/{ml,drift,streams,config}/test/**/*.test.ts',
            'apps/dashboard/src/**/*.test.ts',
          ],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'packages/{db,core,sdk}/src/**/*.test.ts',
            'packages/{db,core,sdk}/test/**/*.test.ts',
            'apps/{server,worker,cli}/src/**/*.test.ts',
            'apps/{server,worker,cli,dashboard}/test/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          globalSetup: ['packages/db/src/testing-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
