/**
 * Runs `task` on demand, never twice at the same time: a request made while a run is in flight
 * is remembered (however many arrive) and served by exactly one more run after it. This is how
 * the dashboard turns a burst of events (ticks, a reconnect, several drift checks) into one
 * re-read instead of a pile of overlapping requests whose answers could land out of order.
 */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const run = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
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
