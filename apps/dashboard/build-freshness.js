// Whether the dashboard's build is older than its sources: `automl-stream start` and the browser
// tests rebuild then (a checkout updated by `git pull` would otherwise keep serving the old build).
// Plain JavaScript with no dependencies, so both can load it without building anything.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Newest modification time under `target` (a file or a directory, recursively); 0 if missing. */
function newestMtime(target) {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(target).reduce(
    (newest, name) => Math.max(newest, newestMtime(path.join(target, name))),
    stat.mtimeMs,
  );
}

/** True when `build/index.js` exists and is newer than every source the build reads. */
export function dashboardBuildIsCurrent(dashboardDir) {
  const entry = path.join(dashboardDir, 'build', 'index.js');
  if (!existsSync(entry)) return false;
  const sources = ['src', 'static', 'server-entry.js', 'svelte.config.js', 'vite.config.ts', 'package.json']
    .map((p) => path.join(dashboardDir, p))
    .concat(path.join(dashboardDir, '..', '..', 'packages', 'sdk', 'src'));
  return statSync(entry).mtimeMs >= Math.max(...sources.map(newestMtime));
}
