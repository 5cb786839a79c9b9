/**
 * Table maintenance on a timer, where no autovacuum runs (see `maintainTables` in @accord/db): a pass
 * every `everyMs`, one at a time per node (nodes sharing a database skip each other's tables), and the
 * ANALYZE of a table after an import wrote many rows to it. Failures are logged, never thrown at a
 * request or an import: statistics only steer plans, and the next pass tries again.
 */
import type { MaintenancePass } from '@accord/db';
import { backgroundJob } from './background.ts';
import type { Logger } from './logger.ts';

export interface TableMaintenanceOptions {
  pass(): Promise<MaintenancePass>;
  afterBulkWrite(table: string, rows: number): Promise<boolean>;
  /** Between two passes; 0: no passes. */
  everyMs: number;
  logger: Logger;
}

export function createTableMaintenance({ pass, afterBulkWrite, everyMs, logger }: TableMaintenanceOptions) {
  let timer: NodeJS.Timeout | null = null;
  let last: MaintenancePass | null = null;
  const job = backgroundJob(
    async () => {
      const t0 = performance.now();
      const r = await pass();
      last = r;
      if (r.analyzed.length || r.vacuumed.length) {
        logger.info('tables maintained (no autovacuum runs)', { analyzed: r.analyzed, vacuumed: r.vacuumed, ms: Math.round(performance.now() - t0) });
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
    /** One pass now (or right after the one running); resolves when it ends. Its outcome: `lastPass`. */
    run: () => job.run(),
    /** What the last pass found (null before the first). */
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
      if (timer) clearInterval(timer);
      timer = null;
      await job.close();
    },
  };
}
