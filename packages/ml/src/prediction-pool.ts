import { Worker } from 'node:worker_threads';
import {
  INFERENCE_FUNCTIONS,
  type InferenceLayout,
  type PredictionReply,
  type PredictionRequest,
  predictChunk,
  predictSharedChunks,
} from './inference.ts';

/**
 * Worker threads for batch prediction, shared by every forest of the process. They start on the
 * first parallel prediction and then stay, idle and unref'd (they never keep the process alive),
 * so later batches pay no start-up cost. A forest's layout is sent to a worker once (shared
 * memory, not a copy) and dropped from the workers when the forest is garbage-collected.
 */

function predictionWorkerSource(): string {
  return [
    "'use strict';",
    'const __name = (target) => target;', // esbuild's keep-names helper, see train.ts
    ...INFERENCE_FUNCTIONS.map((fn) => fn.toString()),
    "servePredictions(require('node:worker_threads').parentPort);",
  ].join('\n');
}

interface PendingTask {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  /** Forests whose layout this worker holds. */
  forests: Set<number>;
  pending: Map<number, PendingTask>;
}

/** Fewest rows in a chunk of a shared synchronous batch (see PredictionPool.predictShared). */
export const SHARED_CHUNK_ROWS = 512;

export class PredictionPool {
  #workers: PoolWorker[] = [];
  #nextTask = 1;
  #nextForest = 1;
  #forestIds = new WeakMap<InferenceLayout, number>();
  #finalizer = new FinalizationRegistry<number>((forestId) => this.#drop(forestId));

  /** Number of live workers (for tests). */
  get size(): number {
    return this.#workers.length;
  }

  /**
   * Fills `out` with the class probabilities of `nRows` rows of `data`, split into `threads`
   * contiguous ranges computed by different workers. Both arrays must live in shared memory.
   * Each row is computed exactly as on the calling thread, so results are bit-identical.
   */
  async predict(
    layout: InferenceLayout,
    data: Float64Array,
    nRows: number,
    out: Float64Array,
    threads: number,
    hasMissing: boolean,
  ): Promise<void> {
    const forestId = this.#idOf(layout);
    const chunk = Math.ceil(nRows / threads / 8) * 8; // multiples of 8 keep the 8-row lockstep full
    const tasks: Promise<void>[] = [];
    for (let w = 0, from = 0; from < nRows; w++, from += chunk) {
      tasks.push(
        this.#run(this.#worker(w), layout, forestId, {
          data,
          from,
          to: Math.min(nRows, from + chunk),
          out,
          hasMissing,
        }),
      );
    }
    await Promise.all(tasks);
  }

  /**
   * Fills `out` (shared, zeroed) with the class probabilities of `nRows` rows of `data` (shared)
   * synchronously: the calling thread and `helpers` workers take chunks of rows from a shared
   * counter (see predictSharedChunks); then the calling thread finishes the chunks the workers
   * still hold (see finishSharedChunks). A worker that is not running yet (the first call starts
   * it) takes nothing, and one that is slow costs at most a chunk's time. Bit-identical to one
   * thread.
   */
  predictShared(
    layout: InferenceLayout,
    data: Float64Array,
    nRows: number,
    out: Float64Array,
    helpers: number,
    hasMissing: boolean,
  ): void {
    // The quantized walk reads a small forest (4 bytes a node), so small chunks cost no extra
    // passes over it, and they share the work out well when a core is busy with other processes.
    const perThread = layout.quantized !== null && !hasMissing ? 8 : 2;
    const control = sharedBatchControl(nRows, helpers + 1, perThread);
    const forestId = this.#idOf(layout);
    for (let w = 0; w < helpers; w++) {
      const entry = this.#worker(w);
      this.#sendLayout(entry, layout, forestId);
      const request: PredictionRequest = { kind: 'share', forestId, data, out, hasMissing, control };
      entry.worker.postMessage(request);
    }
    const start = performance.now();
    predictSharedChunks(layout, data, out, hasMissing, control, true);
    let own = 0;
    for (let c = 0; c < control[1]!; c++) if (Atomics.load(control, 5 + c) === 4) own++;
    finishSharedChunks(
      layout,
      data,
      out,
      hasMissing,
      control,
      (performance.now() - start) / Math.max(1, own),
    );
  }

  #sendLayout(entry: PoolWorker, layout: InferenceLayout, forestId: number): void {
    if (!entry.forests.has(forestId)) {
      entry.worker.postMessage({ kind: 'forest', forestId, layout } satisfies PredictionRequest);
      entry.forests.add(forestId);
    }
  }

  #idOf(layout: InferenceLayout): number {
    let id = this.#forestIds.get(layout);
    if (id === undefined) {
      id = this.#nextForest++;
      this.#forestIds.set(layout, id);
      this.#finalizer.register(layout, id);
    }
    return id;
  }

  /** The index-th worker, starting workers until there are that many (the array stays dense). */
  #worker(index: number): PoolWorker {
    while (this.#workers.length <= index) this.#workers.push(this.#start());
    return this.#workers[index]!;
  }

  #start(): PoolWorker {
    const worker = new Worker(predictionWorkerSource(), { eval: true, execArgv: [] });
    worker.unref();
    const entry: PoolWorker = { worker, forests: new Set(), pending: new Map() };
    // An unref() before the thread is online does not hold (node 20): repeat it once it is.
    worker.once('online', () => {
      if (entry.pending.size === 0) worker.unref();
    });
    const fail = (error: Error): void => {
      this.#workers = this.#workers.filter((w) => w !== entry);
      for (const task of entry.pending.values()) task.reject(error);
      entry.pending.clear();
    };
    worker.on('message', (reply: PredictionReply) => {
      const task = entry.pending.get(reply.task);
      if (task === undefined) return;
      entry.pending.delete(reply.task);
      if (entry.pending.size === 0) worker.unref();
      if (reply.error === undefined) task.resolve();
      else task.reject(new Error(`prediction worker failed: ${reply.error}`));
    });
    worker.on('error', (error) =>
      fail(new Error(`prediction worker failed: ${error.message}`, { cause: error })),
    );
    worker.on('exit', (code) => fail(new Error(`prediction worker exited with code ${code}`)));
    return entry;
  }

  #run(
    entry: PoolWorker,
    layout: InferenceLayout,
    forestId: number,
    rows: { data: Float64Array; from: number; to: number; out: Float64Array; hasMissing: boolean },
  ): Promise<void> {
    this.#sendLayout(entry, layout, forestId);
    const task = this.#nextTask++;
    return new Promise<void>((resolve, reject) => {
      entry.pending.set(task, { resolve, reject });
      entry.worker.ref(); // a pending prediction keeps the process alive until it is answered
      entry.worker.postMessage({
        kind: 'predict',
        task,
        forestId,
        ...rows,
      } satisfies PredictionRequest);
    });
  }

  #drop(forestId: number): void {
    for (const entry of this.#workers) {
      if (entry.forests.delete(forestId))
        entry.worker.postMessage({ kind: 'drop', forestId } satisfies PredictionRequest);
    }
  }
}

/**
 * The calling thread's end of a shared batch. A chunk a worker still holds (state 0 or 1) is
 * waited for up to `patienceMs`, the time a chunk took the calling thread (a worker running as
 * fast finishes within it); then it is computed here too and taken over (-> 4) unless the worker
 * finished first. So a worker that is slow to start or descheduled (a busy machine) costs at most
 * about two chunks' time. A chunk being copied out (state 3) is waited for, microseconds.
 */
function finishSharedChunks(
  layout: InferenceLayout,
  data: Float64Array,
  out: Float64Array,
  hasMissing: boolean,
  control: Int32Array,
  patienceMs: number,
): void {
  const nChunks = control[1]!;
  const deadline = performance.now() + patienceMs;
  for (let c = 0; c < nChunks; c++) {
    let state = Atomics.load(control, 5 + c);
    for (
      ;
      (state === 0 || state === 1) && performance.now() < deadline;
      state = Atomics.load(control, 5 + c)
    ) {
      Atomics.wait(control, 5 + c, state, 0.2);
    }
    if (state === 0 || state === 1) {
      const own = predictChunk(layout, data, hasMissing, control, c);
      for (; state === 0 || state === 1; state = Atomics.load(control, 5 + c)) {
        if (Atomics.compareExchange(control, 5 + c, state, 4) === state) {
          out.set(own, control[5 + nChunks + c]! * layout.nClasses);
          break;
        }
      }
    }
    while (Atomics.load(control, 5 + c) === 3) Atomics.wait(control, 5 + c, 3, 1);
  }
}

/**
 * The control words of a shared batch of `nRows` rows over `threads` threads (see
 * predictSharedChunks): `perThread` chunks per thread, of equal size in multiples of 8 rows (the
 * 8-row lockstep), at least SHARED_CHUNK_ROWS. The float walk takes two per thread, few and big,
 * because every pass over a chunk reads the whole forest (larger than L2) once more: cutting
 * 20,000 rows into 2,500-row chunks measured 25 % slower on one thread, into 320-row chunks 2×
 * slower. The quantized walk measured the same from 1,000-row chunks up.
 */
function sharedBatchControl(nRows: number, threads: number, perThread: number): Int32Array {
  const size = Math.max(SHARED_CHUNK_ROWS, Math.ceil(nRows / (perThread * threads) / 8) * 8);
  const nChunks = Math.ceil(nRows / size);
  const control = new Int32Array(new SharedArrayBuffer(4 * (6 + 2 * nChunks)));
  control[1] = nChunks;
  for (let c = 0; c <= nChunks; c++) control[5 + nChunks + c] = Math.min(nRows, c * size);
  return control;
}

/** The process-wide pool. */
export const predictionPool = new PredictionPool();
