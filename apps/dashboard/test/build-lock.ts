/**
 * One test process at a time builds the dashboard or regenerates its `.svelte-kit/` files: test
 * files run two at a time, and two `vite build`s of one project refuse each other (vite 8's
 * lock), while `svelte-kit sync` rewrites files a build is reading.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const lock = path.join(fileURLToPath(new URL('..', import.meta.url)), '.test-build-lock');
/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 300_000;

/**
 * Runs `work` holding the lock; returns without it once `done()` says another process did the
 * work meanwhile (checked before each try).
 */
export async function withDashboardLock(done: () => boolean, work: () => Promise<void>): Promise<void> {
  for (;;) {
    if (done()) return;
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
