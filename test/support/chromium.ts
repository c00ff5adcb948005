/**
 * The Chromium that the browser tests drive through playwright-core: found on this machine, else
 * installed once in the way that works here, else a one-line error that says what to run. A
 * browser test never skips for want of a browser.
 *
 * Looked for, in order: CHROMIUM_PATH; `chromium`, `chromium-browser`, `google-chrome`,
 * `google-chrome-stable` on PATH; Chrome or Chromium in /Applications (macOS); the Chromium that
 * Playwright's installer downloads (~/.cache/ms-playwright). Installed with `apt-get install
 * chromium` as root on Debian (whose Chromium is a real package; Ubuntu's is a snap stub), and with
 * Playwright's own installer elsewhere.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { withDirectoryLock } from './dir-lock.ts';

/** What decides where a browser is and how one is installed. */
export interface Machine {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  isRoot: boolean;
  /** `ID` and `ID_LIKE` of /etc/os-release (e.g. ['debian'], ['ubuntu', 'debian']); empty elsewhere. */
  os: string[];
  /** Where Playwright's installer puts its Chromium (it may not be there). */
  playwrightChromium: string;
  /** Playwright's command line (`cli.js` of playwright-core), which has the `install` command. */
  playwrightCli: string;
}

export function thisMachine(): Machine {
  let os: string[] = [];
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const field = (name: string) =>
      new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(release)?.[1]?.split(/\s+/) ?? [];
    os = [...field('ID'), ...field('ID_LIKE')].filter(Boolean);
  } catch {
    // Not Linux, or no os-release: no apt.
  }
  return {
    env: process.env,
    platform: process.platform,
    isRoot: process.getuid?.() === 0,
    os,
    playwrightChromium: chromium.executablePath(),
    playwrightCli: path.join(
      path.dirname(createRequire(import.meta.url).resolve('playwright-core/package.json')),
      'cli.js',
    ),
  };
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

const NAMES_ON_PATH = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const MAC_APPS = [
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** The first browser found, or null. A CHROMIUM_PATH that is not an executable file is an error. */
export function findChromium(machine: Machine): string | null {
  const given = machine.env.CHROMIUM_PATH;
  if (given) {
    if (isExecutableFile(given)) return given;
    throw new Error(
      `CHROMIUM_PATH=${given} is not an executable file: point it at a Chromium or Chrome binary`,
    );
  }
  const dirs = (machine.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of NAMES_ON_PATH) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      if (isExecutableFile(file)) return file;
    }
  }
  if (machine.platform === 'darwin') {
    const app = MAC_APPS.find(isExecutableFile);
    if (app) return app;
  }
  return isExecutableFile(machine.playwrightChromium) ? machine.playwrightChromium : null;
}

export interface InstallPlan {
  /** Said before it runs ("installing Chromium with …"). */
  description: string;
  steps: { command: string; args: string[]; env?: Record<string, string> }[];
  /** What a person runs when the automatic install failed. */
  advice: string;
}

const isDebian = (machine: Machine) => machine.os.includes('debian') && !machine.os.includes('ubuntu');

/** How a browser gets onto this machine. */
export function installPlan(machine: Machine): InstallPlan {
  const playwright: InstallPlan = {
    description:
      "Playwright's installer (`npx playwright-core install chromium`, a download of about 150 MB)",
    steps: [{ command: process.execPath, args: [machine.playwrightCli, 'install', 'chromium'] }],
    advice: isDebian(machine) ? 'sudo apt-get install -y chromium' : 'npx playwright-core install chromium',
  };
  if (!isDebian(machine) || !machine.isRoot || !isExecutableFile('/usr/bin/apt-get')) return playwright;
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  return {
    description: "Debian's package (`apt-get install -y chromium`)",
    steps: [
      { command: 'apt-get', args: ['update', '-qq'], env },
      { command: 'apt-get', args: ['install', '-y', '-qq', 'chromium'], env },
    ],
    advice: 'apt-get update && apt-get install -y chromium',
  };
}

/** Runs the plan; null when it worked, else the last line it printed. */
async function runPlan(plan: InstallPlan, machine: Machine): Promise<string | null> {
  for (const step of plan.steps) {
    const child = spawn(step.command, step.args, {
      env: { ...machine.env, ...step.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 15 * 60_000,
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const outcome = await new Promise<string | null>((resolve) => {
      child.on('error', (error) => resolve(error.message));
      child.on('close', (code, signal) =>
        resolve(
          code === 0
            ? null
            : output.trim().split('\n').at(-1)?.trim() || `${step.command} ended (${code ?? signal})`,
        ),
      );
    });
    if (outcome !== null) return outcome;
  }
  return null;
}

/** One install at a time across the test files running in parallel (and across test runs). */
async function withInstallLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = path.join(tmpdir(), 'automl-stream-chromium-install.lock');
  return (await withDirectoryLock(lock, work, { timeoutMs: 20 * 60_000 })) as T;
}

/**
 * The browser for this machine's tests: found, or installed now (said on stderr, once), or an
 * Error whose message is the one line to act on.
 */
export async function provideChromium(machine: Machine = thisMachine()): Promise<string> {
  const found = findChromium(machine);
  if (found) return found;
  return withInstallLock(async () => {
    // Another test file may have installed it while this one waited.
    const meanwhile = findChromium(machine);
    if (meanwhile) return meanwhile;
    const plan = installPlan(machine);
    process.stderr.write(
      `no Chromium found for the browser tests: installing one with ${plan.description}…\n`,
    );
    const failure = await runPlan(plan, machine);
    const installed = failure === null ? findChromium(machine) : null;
    if (installed) return installed;
    throw new Error(
      `no Chromium for the browser tests, and installing one with ${plan.description} failed` +
        `${failure ? ` (${failure})` : ''}: run \`${plan.advice}\`, or set CHROMIUM_PATH to a Chromium or Chrome executable`,
    );
  });
}

/** Flags for a headless Chromium in a container or CI (no sandbox as root, nothing in the background). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
