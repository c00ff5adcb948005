/** A worker thread of the loop benchmark: runs the (scenario, seed) tasks it is sent. */
import { parentPort } from 'node:worker_threads';
import { runSeed } from './run-seed.ts';

parentPort!.on(
  'message',
  (task: { id: string; seed: number; overrides?: Record<string, number>; search?: boolean } | null) => {
    if (task === null) {
      parentPort!.close();
      return;
    }
    runSeed(task.id, task.seed, undefined, task.overrides, task.search).then(
      (result) => parentPort!.postMessage({ ok: true, result }),
      (error: unknown) =>
        parentPort!.postMessage({
          ok: false,
          task,
          error: error instanceof Error ? error.stack : String(error),
        }),
    );
  },
);
