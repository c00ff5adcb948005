import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

// The dashboard's tsconfig extends the one `svelte-kit sync` generates in .svelte-kit/ (not
// committed); Vite's transform of its test files needs it, so generate it on a fresh clone.
const dashboardDir = fileURLToPath(new URL('./apps/dashboard/', import.meta.url));
if (!existsSync(`${dashboardDir}.svelte-kit/tsconfig.json`)) {
  const kit = createRequire(`${dashboardDir}package.json`).resolve('@sveltejs/kit/package.json');
  execFileSync(process.execPath, [kit.replace(/package\.json$/, 'svelte-kit.js'), 'sync'], {
    cwd: dashboardDir,
    stdio: 'ignore',
  });
}

// graphql ships both index.mjs and index.js; Node (tsx) loads index.js everywhere, but Vite would
// hand our sources index.mjs while Pothos/Yoga require index.js: two realms, "Cannot use
// GraphQLObjectType from another module or realm". Pin everyone to the one Node picks.
const graphqlEntry = createRequire(new URL('./apps/server/package.json', import.meta.url)).resolve('graphql');

/**
 * Two projects:
 * - `unit`: pure packages (ml, drift, streams, config, dashboard logic): no database, no network.
 * - `integration`: everything that talks to Postgres or a real port. Its global setup starts an
 *   embedded Postgres when DATABASE_URL is unset and hands the URL to every test file, which then
 *   creates a database of its own (see packages/db/src/testing.ts).
 */
// `.ci/run` asks for a machine-readable summary this way: pnpm 12 would take a `--reporter`
// flag on the command line for its own.
const jsonReport = process.env.VITEST_JSON_REPORT;
// test/test-command.test.ts runs the test command itself on a file that fails on purpose (and one
// that passes) to check the exit code; those files are part of a run only when it asks.
const testCommandFixtures =
  process.env.AUTOML_TEST_COMMAND_FIXTURES === '1' ? ['test/fixtures/test-command/*.check.ts'] : [];

// Vitest runs files on one worker fewer than the CPUs: on a 2-CPU machine one at a time, 954 s for
// the suite. Most integration files wait on Postgres, a server or a browser, so two at a time
// took 660 s there with every test passing; a 1-CPU machine keeps one.
const cpus = availableParallelism();
const maxWorkers = Math.max(Math.min(2, cpus), cpus - 1);

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    maxWorkers,
    ...(jsonReport ? { reporters: ['default', 'json'], outputFile: { json: jsonReport } } : {}),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/{ml,drift,streams,config}/src/**/*.test.ts',
            // The retraining policy is pure code inside core: no database, no network.
            'packages/core/src/policy/**/*.test.ts',
            'packages/{ml,drift,streams,config}/test/**/*.test.ts',
            'apps/dashboard/src/**/*.test.ts',
          ],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: [
            'packages/{db,core,sdk}/src/**/*.test.ts',
            'packages/{db,core,sdk}/test/**/*.test.ts',
            'apps/{server,worker,cli}/src/**/*.test.ts',
            'apps/{server,worker,cli,dashboard}/test/**/*.test.ts',
            'test/**/*.test.ts',
            ...testCommandFixtures,
          ],
          exclude: [...configDefaults.exclude, 'packages/core/src/policy/**'],
          globalSetup: ['packages/db/src/testing-global-setup.ts'],
          // Servers and CLIs started by tests train the fixed forest unless a test asks for the
          // search (AUTOML_BUDGET_SECONDS in its own settings): a search takes up to its budget.
          env: { AUTOML_BUDGET_SECONDS: process.env.AUTOML_BUDGET_SECONDS ?? '0' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
