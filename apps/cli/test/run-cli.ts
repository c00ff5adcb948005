import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `node --import tsx apps/cli/src/main.ts <args>` as a person would (a child process, its
 * own stdout/stderr, no TTY). Only the variables given in `env` (plus PATH/HOME) reach it, so the
 * machine's AUTOML_* or DATABASE_URL never leak into a test.
 */
export function spawnCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliRun>; output: () => CliRun } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => ({ code: null, signal: null, stdout, stderr }) };
}

/** Runs the command to the end. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return spawnCli(args, env).done;
}

/** Resolves once `predicate` holds for the output so far (checked as it arrives). */
export function waitForOutput(
  run: ReturnType<typeof spawnCli>,
  predicate: (out: CliRun) => boolean,
  timeoutMs: number,
  what: string,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const out = run.output();
      if (predicate(out)) {
        cleanup();
        resolve(out);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      const out = run.output();
      reject(
        new Error(`timed out waiting for ${what}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      run.child.stdout!.off('data', check);
      run.child.stderr!.off('data', check);
    };
    run.child.stdout!.on('data', check);
    run.child.stderr!.on('data', check);
    void run.done.then(() => {
      check();
      cleanup();
      const out = run.output();
      if (!predicate(out))
        reject(
          new Error(`the command ended before ${what}\n--- stdout\n${out.stdout}\n--- stderr\n${out.stderr}`),
        );
    });
  });
}
