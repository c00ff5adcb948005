// How the browser tests get their Chromium (test/support/chromium.ts): on a machine without
// /usr/bin/chromium they used to fail with playwright's "executable doesn't exist", and a person
// had to read .ci/run to learn why. Machines here are described, not mocked: real files on a
// real PATH; only the installer of the last case is a stand-in (a real one downloads 150 MB).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM_FLAGS,
  findChromium,
  installPlan,
  type Machine,
  provideChromium,
  thisMachine,
} from './support/chromium.ts';

const root = mkdtempSync(path.join(tmpdir(), 'automl-chromium-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A file at `dir/name`, executable or not; returns its path. */
function file(dir: string, name: string, executable = true, body = '#!/bin/sh\nexit 0\n'): string {
  mkdirSync(path.join(root, dir), { recursive: true });
  const target = path.join(root, dir, name);
  writeFileSync(target, body);
  chmodSync(target, executable ? 0o755 : 0o644);
  return target;
}

function machine(overrides: Partial<Machine> = {}): Machine {
  return {
    env: { PATH: '' },
    platform: 'linux',
    isRoot: false,
    os: [],
    playwrightChromium: path.join(root, 'no-such-playwright-chromium'),
    playwrightCli: path.join(root, 'no-such-cli.js'),
    ...overrides,
  };
}

describe('finding a browser for the tests', () => {
  it('takes CHROMIUM_PATH first, and refuses one that is not an executable file', () => {
    const given = file('given', 'my-chrome');
    const onPath = file('bin-a', 'chromium');
    expect(findChromium(machine({ env: { CHROMIUM_PATH: given, PATH: path.dirname(onPath) } }))).toBe(given);
    const missing = path.join(root, 'nothing-here');
    expect(() => findChromium(machine({ env: { CHROMIUM_PATH: missing } }))).toThrow(
      `CHROMIUM_PATH=${missing} is not an executable file: point it at a Chromium or Chrome binary`,
    );
  });

  it('finds chromium, chromium-browser or Google Chrome on PATH, skipping files that do not run', () => {
    const notExecutable = file('bin-b', 'chromium', false);
    const chrome = file('bin-c', 'google-chrome-stable');
    const env = { PATH: [path.dirname(notExecutable), path.dirname(chrome)].join(path.delimiter) };
    expect(findChromium(machine({ env }))).toBe(chrome);
    const ubuntuName = file('bin-d', 'chromium-browser');
    expect(findChromium(machine({ env: { PATH: path.dirname(ubuntuName) } }))).toBe(ubuntuName);
  });

  it("falls back on the Chromium Playwright's installer put in its cache, else finds none", () => {
    const downloaded = file('ms-playwright/chromium-1/chrome-linux64', 'chrome');
    expect(findChromium(machine({ playwrightChromium: downloaded }))).toBe(downloaded);
    expect(findChromium(machine())).toBeNull();
  });

  it("installs with apt as root on Debian, with Playwright's installer elsewhere", () => {
    const debianRoot = installPlan(machine({ os: ['debian'], isRoot: true }));
    expect(debianRoot.steps.map((s) => [s.command, ...s.args].join(' '))).toEqual([
      'apt-get update -qq',
      'apt-get install -y -qq chromium',
    ]);
    const debianUser = installPlan(machine({ os: ['debian'], isRoot: false, playwrightCli: '/x/cli.js' }));
    expect(debianUser.steps).toEqual([
      { command: process.execPath, args: ['/x/cli.js', 'install', 'chromium'] },
    ]);
    expect(debianUser.advice).toBe('sudo apt-get install -y chromium');
    // Ubuntu's apt `chromium` is a transitional package for the snap, which containers lack.
    const ubuntuRoot = installPlan(machine({ os: ['ubuntu', 'debian'], isRoot: true }));
    expect(ubuntuRoot.steps[0]!.args.slice(1)).toEqual(['install', 'chromium']);
    expect(ubuntuRoot.advice).toBe('npx playwright-core install chromium');
    expect(installPlan(machine({ platform: 'darwin' })).advice).toBe('npx playwright-core install chromium');
  });

  it('installs when none is found, and fails in one line that says what to run when that fails', async () => {
    // The stand-in installer prints what a download without network prints, and fails.
    const installer = file(
      'installer',
      'cli.js',
      false,
      'console.log("Downloading Chromium");console.error("Error: getaddrinfo ENOTFOUND cdn.example");process.exit(1);',
    );
    const error = await provideChromium(machine({ os: ['debian'], playwrightCli: installer })).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toBe(
      "no Chromium for the browser tests, and installing one with Playwright's installer (`npx playwright-core install chromium`, a download of about 150 MB) failed (Error: getaddrinfo ENOTFOUND cdn.example): run `sudo apt-get install -y chromium`, or set CHROMIUM_PATH to a Chromium or Chrome executable",
    );
    expect(error?.message).not.toContain('\n');
    // An installer that works: the browser it leaves is the one used.
    const target = path.join(root, 'installed', 'chrome');
    const working = file(
      'installer',
      'ok.js',
      false,
      `const fs=require('fs');fs.mkdirSync(${JSON.stringify(path.dirname(target))},{recursive:true});fs.writeFileSync(${JSON.stringify(target)},'#!/bin/sh\\n',{mode:0o755});`,
    );
    await expect(
      provideChromium(machine({ playwrightCli: working, playwrightChromium: target })),
    ).resolves.toBe(target);
  });

  it('on this machine, provides one that playwright-core launches', async () => {
    const executablePath = await provideChromium(thisMachine());
    const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage();
      await page.setContent('<p id="ok">browser works</p>');
      expect(await page.textContent('#ok')).toBe('browser works');
    } finally {
      await browser.close();
    }
  });
});
