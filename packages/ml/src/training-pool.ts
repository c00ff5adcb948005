import { Worker } from 'node:worker_threads';
import { type GrownTree, KERNEL_FUNCTIONS, type KernelInput, type KernelRequest } from './kernel.ts';

/**
 * Worker threads that grow trees, shared by every training of the process. They start on the
 * first training and then stay, idle and unref'd (they never keep the process alive), so later
 * trainings pay neither the start-up nor the kernel's compilation again: a model search that
 * fits hundreds of small forests would otherwise spend most of its time there (0.1 to 0.3 s per
 * fit on 2 cores). A job's input is sent to a worker once (shared memory, not a copy) and
 * dropped from the workers when the job ends.
 *
 * Each job uses at most its `threads` workers at a time; concurrent jobs get workers of their
 * own (the pool starts more when none is idle), as separate trainings did before the pool.
 */

/**
 * JavaScript source of a tree-growing worker: the kernel functions' own text (types already
 * stripped by tsx or vite) plus a two-line entry point. `__name` is the helper esbuild inserts
 * when it keeps function names (tsx does); outside a bundle it must be provided.
 */
export function workerSource(): string {
  return [
    "'use strict';",
    'const __name = (target) => target;',
    ...KERNEL_FUNCTIONS.map((fn) => fn.toString()),
    "const { parentPort } = require('node:worker_threads');",
    'serveTrees(parentPort);',
  ].join('\n');
}

export interface GrowOptions {
  /** Called on the calling thread each time a tree finishes; an exception fails the job. */
  onProgress?: ((treesDone: number, total: number) => void) | undefined;
  /** Aborting stops the job's busy workers and rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

interface TreeJob {
  id: number;
  input: KernelInput;
  nTrees: number;
  threads: number;
  next: number;
  done: number;
  trees: GrownTree[];
  active: Set<PoolWorker>;
  options: GrowOptions;
  settle: (error: unknown, trees?: GrownTree[]) => void;
}

interface PoolWorker {
  worker: Worker;
  /** Jobs whose input this worker holds. */
  inputs: Set<number>;
  /** The job whose tree it is growing, null when idle. */
  job: TreeJob | null;
}

export class TrainingPool {
  #workers: PoolWorker[] = [];
  #jobs: TreeJob[] = [];
  #nextJob = 1;

  /** Number of live workers (for tests). */
  get size(): number {
    return this.#workers.length;
  }

  /**
   * Grows trees 0..nTrees-1 of `input` on up to `threads` workers and returns them by index, so
   * the result does not depend on which worker grew what. Rejects (stopping the job's busy
   * workers) on a worker error, an exception from onProgress, or an abort.
   */
  grow(input: KernelInput, nTrees: number, threads: number, options: GrowOptions = {}): Promise<GrownTree[]> {
    options.signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => this.#fail(job, options.signal?.reason);
      const job: TreeJob = {
        id: this.#nextJob++,
        input,
        nTrees,
        threads: Math.max(1, Math.min(threads, nTrees)),
        next: 0,
        done: 0,
        trees: new Array(nTrees),
        active: new Set(),
        options,
        settle: (error, trees) => {
          options.signal?.removeEventListener('abort', onAbort);
          if (trees) resolve(trees);
          else reject(error);
        },
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#jobs.push(job);
      this.#pump();
    });
  }

  /** Hands out the next tree of every job that has fewer busy workers than its threads. */
  #pump(): void {
    for (const job of this.#jobs) {
      while (job.active.size < job.threads && job.next < job.nTrees) {
        const idle = this.#workers.filter((w) => w.job === null);
        const entry = idle.find((w) => w.inputs.has(job.id)) ?? idle[0] ?? this.#start();
        if (!entry.inputs.has(job.id)) {
          entry.worker.postMessage({
            kind: 'input',
            jobId: job.id,
            input: job.input,
          } satisfies KernelRequest);
          entry.inputs.add(job.id);
        }
        entry.job = job;
        job.active.add(entry);
        entry.worker.ref(); // a tree being grown keeps the process alive until it arrives
        entry.worker.postMessage({
          kind: 'tree',
          jobId: job.id,
          treeIndex: job.next++,
        } satisfies KernelRequest);
      }
    }
  }

  #start(): PoolWorker {
    // execArgv: [] keeps the parent's loaders (tsx, vitest) out of the worker: it runs plain JS.
    const worker = new Worker(workerSource(), { eval: true, execArgv: [] });
    worker.unref();
    const entry: PoolWorker = { worker, inputs: new Set(), job: null };
    this.#workers.push(entry);
    worker.on('message', (reply: { jobId: number; tree: GrownTree }) => this.#received(entry, reply.tree));
    const lost = (error: Error): void => {
      if (!this.#workers.includes(entry)) return; // retired on purpose
      this.#workers = this.#workers.filter((w) => w !== entry);
      if (entry.job) this.#fail(entry.job, error);
    };
    worker.on('error', (error) =>
      lost(new Error(`forest training worker failed: ${error.message}`, { cause: error })),
    );
    worker.on('exit', (code) => lost(new Error(`forest training worker exited with code ${code}`)));
    return entry;
  }

  #received(entry: PoolWorker, tree: GrownTree): void {
    const job = entry.job;
    entry.job = null;
    entry.worker.unref();
    if (job === null) return;
    job.active.delete(entry);
    job.trees[tree.treeIndex] = tree;
    job.done++;
    try {
      job.options.onProgress?.(job.done, job.nTrees);
    } catch (error) {
      this.#fail(job, error);
      return;
    }
    if (job.done === job.nTrees) this.#end(job, null);
    this.#pump();
  }

  #fail(job: TreeJob, error: unknown): void {
    if (!this.#jobs.includes(job)) return;
    // Stop its busy workers now rather than let them finish trees nobody wants.
    for (const entry of job.active) {
      this.#workers = this.#workers.filter((w) => w !== entry);
      void entry.worker.terminate();
    }
    job.active.clear();
    this.#end(job, error);
    this.#pump();
  }

  #end(job: TreeJob, error: unknown): void {
    this.#jobs = this.#jobs.filter((j) => j !== job);
    for (const entry of this.#workers) {
      if (entry.inputs.delete(job.id))
        entry.worker.postMessage({ kind: 'drop', jobId: job.id } satisfies KernelRequest);
    }
    if (job.done === job.nTrees && error === null) job.settle(null, job.trees);
    else job.settle(error);
  }
}

/** The process-wide pool. */
export const trainingPool = new TrainingPool();
