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

/** Runs of one piece of work, coalesced (`coalesce`). */
export interface Coalesced {
  /** Runs the work now, or once more right after the run in progress; resolves when that run ends. */
  run(): Promise<void>;
  /** The run in progress, if any. */
  readonly running: Promise<void> | null;
}

/**
 * One run of `work` at a time: a call made during a run asks for one more right after it and shares
 * its promise, so every call is covered by a run that starts after it. Runs stop repeating once
 * `stopped()`. What `work` throws rejects every caller of that run (the next call runs it again).
 */
export function coalesce(work: () => Promise<void>, stopped: () => boolean = () => false): Coalesced {
  let running: Promise<void> | null = null;
  let again = false;
  return {
    run() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        try {
          do {
            again = false;
            await work();
          } while (again && !stopped());
        } finally {
          running = null;
        }
      })();
      return running;
    },
    get running() {
      return running;
    },
  };
}

/**
 * `work` is run by `run()` and `soon()`; what it throws goes to `onError` (not while closing), and the
 * next request runs it again.
 */
export function backgroundJob(work: () => Promise<void>, o: { soonMs: number; onError(e: unknown): void }): BackgroundJob {
  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  // The failure is reported once per run, here, not to each caller that shares the run.
  const runs = coalesce(async () => {
    try {
      await work();
    } catch (e) {
      if (!closed) o.onError(e);
      throw e;
    }
  }, () => closed);
  const run = (): Promise<void> => (closed ? Promise.resolve() : runs.run().catch(() => undefined));

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
      await runs.running?.catch(() => undefined);
    },
  };
}
