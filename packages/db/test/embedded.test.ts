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

async function runUntilSignal(dataDir: string, signal: NodeJS.Signals): Promise<ChildReport> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, dataDir], {
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
  expect(isAlive(report.pid)).toBe(true);
  proc.kill(signal);
  await exited;
  // The postmaster must be gone once the parent has exited.
  for (let i = 0; i < 50 && isAlive(report.pid); i++) await new Promise((r) => setTimeout(r, 100));
  expect(isAlive(report.pid)).toBe(false);
  return report;
}

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
});
