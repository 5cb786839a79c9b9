/**
 * Background work that follows requests: a job that runs one at a time and once more when asked while
 * it runs (every request is covered by a run that starts after it), and a trigger that runs it shortly
 * after the first of a burst of requests (one run for the whole burst).
 */

export interface BackgroundJob {
  /** Runs the job now, or once more right after the run in progress; resolves when that run ends. */
  run(): Promise<void>;
  /** Runs the job within `soonMs` (one timer for every call meanwhile). */
  soon(): void;
  /** Stops: no timer fires and no run starts any more; resolves when the run in progress ends. */
  close(): Promise<void>;
}

/**
 * `work` is run by `run()` and `soon()`; what it throws goes to `onError` (not while closing), and the
 * next request runs it again.
 */
export function backgroundJob(work: () => Promise<void>, o: { soonMs: number; onError(e: unknown): void }): BackgroundJob {
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  let timer: NodeJS.Timeout | null = null;

  function run(): Promise<void> {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await work();
        } while (again && !closed);
      } catch (e) {
        if (!closed) o.onError(e);
      } finally {
        running = null;
      }
    })();
    return running;
  }

  return {
    run,
    soon() {
      if (closed || timer) return;
      timer = setTimeout(() => {
        timer = null;
        void run();
      }, o.soonMs);
      timer.unref();
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
    },
  };
}
