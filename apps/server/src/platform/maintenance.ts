/**
 * Table maintenance on a timer, where no autovacuum runs (see `maintainTables` in @accord/db): a pass
 * every `everyMs`, one at a time per node (nodes sharing a database skip each other's tables), and the
 * ANALYZE of a table after an import wrote many rows to it. Failures are logged, never thrown at a
 * request or an import: statistics only steer plans, and the next pass tries again.
 *
 * On PostgreSQL a timer's pass that has work first waits for a quiet database: while other
 * connections keep statements running (`load`, at or above `busyAt`) or the server writes WAL at
 * `busyWalBytesPerSecond` or more, it looks again every `pollMs`,
 * at most `maxWaitMs` (`ACCORD_DB_MAINTENANCE_MAX_WAIT_SECONDS`), then runs anyway. Even paced, a pass
 * in a busy minute overloaded the machine for 1.5–3 s (`bench:load`'s paced phase: the trainers' p50
 * rose from about 10 ms to 50–70 ms while it ran); a busy database now gets one at most every `maxWaitMs`. A
 * pass asked for (`run`) does not wait, and one waiting when asked for or when the node stops runs at
 * once or not at all. A pass that found the database quiet looks again between two tables and stops
 * when the load is back (`stoppedEarly`): a pass that began in a lull ran on into the next busy period.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DatabaseLoad, MaintenancePass } from '@accord/db';
import { backgroundJob } from './background.ts';
import type { Logger } from './logger.ts';

/** How a pass waited for a quiet database: it came, the pass was asked for, the wait hit its bound, or the node stopped (no pass). */
export type MaintenanceWait = { ms: number; outcome: 'quiet' | 'asked' | 'gave-up' | 'stopped' };

/** Between two tables of a pass that found the database quiet: a quick look (two, 100 ms apart), since the pass holds a connection meanwhile. */
const BETWEEN_TABLES_LOOK = { samples: 2, everyMs: 100 };

export interface TableMaintenanceOptions {
  /** One pass; it awaits `beforeWork` once it has work (false: the pass is called off), and `betweenTables` before each table after the first (false: it stops there). */
  pass(beforeWork: () => Promise<boolean>, betweenTables: () => Promise<boolean>): Promise<MaintenancePass>;
  afterBulkWrite(table: string, rows: number): Promise<boolean>;
  /** Between two passes; 0: no passes. */
  everyMs: number;
  /** How busy the database is for others (`databaseLoad`); null: a pass never waits (PGlite, one connection). */
  load: ((o?: { samples?: number; everyMs?: number }) => Promise<DatabaseLoad>) | null;
  /** At most this long waiting for a quiet database; 0: never waits. */
  maxWaitMs: number;
  /** Busy at this load or above (default 0.5: other statements running half the time). */
  busyAt?: number;
  /**
   * Busy at this much WAL a second or more (default 256 KiB: about 20 judgments a second; an idle
   * server writes 0–50 KB/s). A steady load of short statements is seen here, not at the looks.
   */
  busyWalBytesPerSecond?: number;
  /** Between two looks at the load (default 1,000 ms). */
  pollMs?: number;
  logger: Logger;
}

export function createTableMaintenance({ pass, afterBulkWrite, everyMs, load, maxWaitMs, busyAt = 0.5, busyWalBytesPerSecond = 256 * 1024, pollMs = 1000, logger }: TableMaintenanceOptions) {
  const busy = (l: DatabaseLoad) => l.active >= busyAt || l.walBytesPerSecond >= busyWalBytesPerSecond;
  let timer: NodeJS.Timeout | null = null;
  let last: (MaintenancePass & { waited?: MaintenanceWait }) | null = null;
  let closed = false;
  /** A pass was asked for: the next one to start does not wait. */
  let asked = false;
  /** Ends the wait of the pass in progress. */
  let current: AbortController | null = null;

  async function quiet(signal: AbortSignal): Promise<MaintenanceWait> {
    const t0 = performance.now();
    const done = (outcome: MaintenanceWait['outcome']): MaintenanceWait => ({ ms: Math.round(performance.now() - t0), outcome });
    for (;;) {
      if (closed) return done('stopped');
      if (signal.aborted) return done('asked');
      if (!busy(await load!())) return done('quiet');
      if (performance.now() - t0 >= maxWaitMs) return done('gave-up');
      // Ends early when the wait is; leaves no listener on the signal (one per look added up past Node's warning at 11).
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  }

  const job = backgroundJob(
    async () => {
      const t0 = performance.now();
      const wait = new AbortController();
      current = wait;
      if (asked) wait.abort();
      asked = false;
      let waited: MaintenanceWait | undefined;
      try {
        const r = await pass(
          async () => {
            if (!load || maxWaitMs <= 0) return true;
            waited = await quiet(wait.signal);
            return waited.outcome !== 'stopped';
          },
          // A pass that found the database quiet gives way when the load comes back (a lull between two
          // busy periods); one that waited its longest, or was asked for, runs through.
          async () => {
            if (closed) return false;
            if (!load || waited?.outcome !== 'quiet' || wait.signal.aborted) return true;
            return !busy(await load(BETWEEN_TABLES_LOOK));
          },
        );
        last = waited ? { ...r, waited } : r;
      } finally {
        current = null;
      }
      if (last.analyzed.length || last.vacuumed.length) {
        logger.info('tables maintained (no autovacuum runs)', {
          analyzed: last.analyzed,
          vacuumed: last.vacuumed,
          ms: Math.round(performance.now() - t0),
          ...(waited ? { waitedForQuietMs: waited.ms, wait: waited.outcome } : {}),
          ...(last.stoppedEarly ? { stoppedEarly: 'the database got busy; the next pass takes the tables left' } : {}),
        });
      }
    },
    {
      soonMs: 1000,
      onError: (e) =>
        logger.error('table maintenance failed; the next pass tries again (ACCORD_DB_MAINTENANCE_SECONDS=0 turns the passes off; then run ANALYZE yourself after large changes)', { message: (e as Error).message }),
    },
  );
  return {
    /** Starts the passes (none when `everyMs` is 0). */
    start(): void {
      if (everyMs <= 0 || timer) return;
      timer = setInterval(() => void job.run(), everyMs);
      timer.unref();
    },
    /** One pass now, without waiting for a quiet database (or right after the one running, which stops waiting); resolves when it ends. Its outcome: `lastPass`. */
    run(): Promise<void> {
      asked = true;
      current?.abort();
      return job.run();
    },
    /** What the last pass found (null before the first), and how it waited. */
    lastPass: () => last,
    /** `rows` rows were written to `table` in bulk: analyzed now if they are many for its size. */
    async afterBulkWrite(table: string, rows: number): Promise<void> {
      try {
        const t0 = performance.now();
        if (await afterBulkWrite(table, rows)) logger.info('table analyzed after a bulk write', { table, rows, ms: Math.round(performance.now() - t0) });
      } catch (e) {
        logger.error('analyze after a bulk write failed; the import is kept; the next maintenance pass (or autovacuum) analyzes the table', { table, message: (e as Error).message });
      }
    },
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      current?.abort();
      await job.close();
    },
  };
}
