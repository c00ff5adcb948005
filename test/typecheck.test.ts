// The tree type-checks: `tsc -b` over the packages, apps, benchmarks and tests, and svelte-check
// over the dashboard (its `.ts` modules and the scripts of its `.svelte` components). CI runs
// only the test suite, so a change of a GraphQL type that leaves a consumer behind fails here.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { withDashboardLock } from '../apps/dashboard/test/build-lock.ts';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dashboard = path.join(root, 'apps/dashboard');

/** Runs a package's bin with this Node; resolves with its exit code and output, never throws. */
async function bin(from: string, pkg: string, file: string, args: string[], cwd: string) {
  const entry = path.join(
    path.dirname(createRequire(path.join(from, 'package.json')).resolve(`${pkg}/package.json`)),
    file,
  );
  try {
    const { stdout, stderr } = await run(process.execPath, [entry, ...args], {
      cwd,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('type checking', () => {
  it('tsc -b finds no error in the packages, apps, benchmarks and tests', async () => {
    const result = await bin(root, 'typescript', 'bin/tsc', ['-b'], root);
    expect(result.output.trim()).toBe('');
    expect(result.code).toBe(0);
  }, 300_000);

  it('svelte-check finds no error and no warning in the dashboard', async () => {
    // Under the dashboard tests' build lock: a build beside it rewrites `.svelte-kit/` too.
    let sync = { code: 0, output: '' };
    let result = { code: 0, output: '' };
    await withDashboardLock(
      () => false,
      async () => {
        sync = await bin(dashboard, '@sveltejs/kit', 'svelte-kit.js', ['sync'], dashboard);
        result = await bin(
          dashboard,
          'svelte-check',
          'bin/svelte-check',
          ['--tsconfig', './tsconfig.json', '--fail-on-warnings', '--output', 'machine'],
          dashboard,
        );
      },
    );
    expect(sync.code, sync.output).toBe(0);
    const problems = result.output.split('\n').filter((line) => / (ERROR|WARNING) /.test(line));
    expect(problems).toEqual([]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/COMPLETED \d+ FILES 0 ERRORS 0 WARNINGS/);
  }, 300_000);
});
