import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.ts';

/**
 * Settings that make the loop visible within minutes, applied only where the person did not set
 * the variable. The platform's defaults suit production traffic: a check every WINDOW_SIZE = 1000
 * rows or 300 s. For the demo, half the window and a check every 20 s.
 */
export const DEMO_SETTINGS: Record<string, string> = {
  WINDOW_SIZE: '500',
  CHECK_INTERVAL_SECONDS: '20',
};

/** Where the demo keeps its data when DATA_DIR and DATABASE_URL are unset (reset at each run). */
export const DEMO_DATA_DIR = path.join('.data', 'demo');

export interface DemoPlatformEnv {
  env: Record<string, string | undefined>;
  /** What was applied, for the start-up output. */
  notes: string[];
  /** The demo's own data folder, reset before use; null when the person chose the database. */
  demoDataDir: string | null;
}

/** The environment for a platform that runs the demo, and what was changed (said at start-up). */
export function demoPlatformEnv(env: Record<string, string | undefined>): DemoPlatformEnv {
  const out = { ...env };
  const applied: string[] = [];
  for (const [name, value] of Object.entries(DEMO_SETTINGS)) {
    if (env[name] === undefined || env[name] === '') {
      out[name] = value;
      applied.push(`${name}=${value}`);
    }
  }
  const notes: string[] = [];
  if (applied.length > 0) notes.push(`demo settings (set the variables to override): ${applied.join(' ')}`);
  let demoDataDir: string | null = null;
  if (!env.DATA_DIR && !env.DATABASE_URL) {
    demoDataDir = DEMO_DATA_DIR;
    out.DATA_DIR = DEMO_DATA_DIR;
    notes.push(
      `demo data in ${DEMO_DATA_DIR}, fresh at every start with the demo (\`start --no-demo\` uses .data)`,
    );
  } else {
    notes.push(
      'the demo writes synthetic rows into the configured database (use --no-demo for your own data)',
    );
  }
  return { env: out, notes, demoDataDir };
}

/** Empties the demo's data folder, unless a running platform uses it. */
export function resetDemoData(dir: string): void {
  const pidFile = path.join(dir, 'postgres', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    let alive = false;
    try {
      if (Number.isInteger(pid) && pid > 0) {
        process.kill(pid, 0);
        alive = true;
      }
    } catch {
      alive = false;
    }
    if (alive) {
      throw new CliError(
        `another automl-stream with the demo is running on ${dir} (Postgres pid ${pid}): stop it first, or run \`automl-stream demo --url <its url> --api-key <key>\` against it`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
