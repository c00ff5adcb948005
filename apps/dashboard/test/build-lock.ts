/**
 * One test process at a time builds the dashboard or regenerates its `.svelte-kit/` files: test
 * files run two at a time, and two `vite build`s of one project refuse each other (vite 8's
 * lock), while `svelte-kit sync` rewrites files a build is reading.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDirectoryLock } from '../../../test/support/dir-lock.ts';

const lock = path.join(fileURLToPath(new URL('..', import.meta.url)), '.test-build-lock');

/**
 * Runs `work` holding the lock; returns without it once `done()` says another process did the
 * work meanwhile (checked before each try).
 */
export async function withDashboardLock(done: () => boolean, work: () => Promise<void>): Promise<void> {
  await withDirectoryLock(lock, work, { timeoutMs: 10 * 60_000, done });
}
