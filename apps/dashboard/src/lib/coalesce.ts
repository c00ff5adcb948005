/**
 * Runs `task` on demand, never twice at the same time: a request made while a run is in flight
 * is remembered (however many arrive) and served by exactly one more run after it. This is how
 * the dashboard turns a burst of events (ticks, a reconnect, several drift checks) into one
 * re-read instead of a pile of overlapping requests whose answers could land out of order.
 *
 * With `minGapMs`, two runs also start at least that far apart: a feed that never pauses (the
 * events of every pipeline of a busy fleet) then costs at most one run per `minGapMs`.
 * @default minGapMs 0
 */
export function coalesce(task: () => Promise<void>, minGapMs = 0): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  let lastStart = Number.NEGATIVE_INFINITY;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          const wait = lastStart + minGapMs - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          lastStart = Date.now();
          await task().catch(() => {
            // The caller's task reports its own errors; a failed run must not block the next.
          });
        } while (again);
      } finally {
        running = null;
      }
    })();
    return running;
  };
  return run;
}
