// A dashboard that does not build: `start` printed "dashboard build failed:" and nothing after it
// (only the first line of the error reached the terminal, and Vite's stdout was dropped). A real
// Vite build of a small project with a syntax error, its output read as `start` reads it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '@automl-stream/core';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { buildDashboard, dashboardFailureLines } from '../src/local/platform.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'automl-dashboard-build-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a dashboard build that fails', () => {
  it('shows the last lines of the real error, and keeps the whole output in the log file', async () => {
    writeFileSync(
      path.join(dir, 'index.html'),
      '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n',
    );
    writeFileSync(path.join(dir, 'main.js'), 'export const broken = ;\n');
    const logFile = path.join(dir, 'automl-stream.log');
    const logger = pino({ level: 'info', base: undefined }, pino.destination({ dest: logFile, sync: true }));

    const error = await buildDashboard(dir, logger as unknown as Logger).then(
      () => null,
      (e: Error) => e,
    );
    expect(error).not.toBeNull();
    const printed = dashboardFailureLines(error!.message, logFile);
    expect(printed[0]).toBe(
      '  the dashboard is unavailable (the API runs without it): the dashboard build failed (exit 1):',
    );
    const shown = printed.slice(1, -1).join('\n');
    // The error itself (where and what), not the stack trace under it.
    expect(shown).toMatch(/\| .*Unexpected token/);
    expect(shown).toMatch(/\| .*main\.js:1:23/);
    expect(shown).not.toMatch(/\|\s+at /);
    expect(printed.length).toBeLessThanOrEqual(17);
    expect(printed.at(-1)).toBe(`  the whole output is in ${logFile}`);

    // Every line Vite printed, stack trace included, is in the log (one JSON line each).
    const logged = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { dashboardBuild?: string }).dashboardBuild);
    expect(logged).toContain('error during build:');
    expect(logged.some((line) => line?.includes('Unexpected token'))).toBe(true);
    expect(logged.some((line) => line?.trimStart().startsWith('at '))).toBe(true);
    expect(logged.some((line) => line?.includes('building client environment for production'))).toBe(true);
  });
});
