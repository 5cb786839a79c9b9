/**
 * Everything the app needs, built once from the environment: database, services, events.
 * `createApp(deps)` and `attachRealtime(server, deps)` only close over this.
 */
import { createDb, createDocStore, DOC_NOTIFY_CHANNEL, type DbHandle } from '@accord/db';
import type { Env } from './env.ts';
import { createWorkerCompactor } from './realtime/compactor.ts';
import { createDocRegistry } from './realtime/registry.ts';
import { createAuthService } from './services/auth.ts';
import { createEvents } from './services/events.ts';
import { createLogger, type Logger } from './services/logger.ts';
import { createProjectService } from './services/projects.ts';
import { createRateLimiter } from './services/rate-limit.ts';
import { createRubricService } from './services/rubrics.ts';
import { createUserService } from './services/users.ts';
import { createImportService } from './services/imports.ts';
import { createJudgingService } from './services/judging.ts';

export async function createDeps(env: Env, overrides: { db?: DbHandle; logger?: Logger } = {}) {
  const logger = overrides.logger ?? createLogger(env.ACCORD_LOG);
  const db = overrides.db ?? (await createDb(env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL } : { kind: 'pglite', dataDir: env.dataDir }));
  const events = createEvents();
  const windowMs = env.ACCORD_LOGIN_WINDOW_SECONDS * 1000;
  const auth = createAuthService({
    db: db.db,
    events,
    idleMs: env.ACCORD_SESSION_IDLE_MINUTES * 60_000,
    maxMs: env.ACCORD_SESSION_MAX_HOURS * 3_600_000,
    accountLimiter: createRateLimiter(env.ACCORD_LOGIN_MAX_PER_ACCOUNT, windowMs),
    addressLimiter: createRateLimiter(env.ACCORD_LOGIN_MAX_PER_ADDRESS, windowMs),
  });
  // Live documents: one room per document, logged to the database, compacted in a worker thread.
  // With PostgreSQL (possibly several nodes) appends NOTIFY and rooms catch up on each other's writes.
  const compactor = createWorkerCompactor((e) => logger.error('compaction worker failed', { message: (e as Error).message }));
  const listen = db.listen;
  const docs = createDocRegistry({
    persistence: createDocStore(db.db, { notify: db.kind === 'postgres' }),
    logger,
    compactor: compactor.compact,
    // Below the transport's 1 MB packet limit, so an oversized update gets a proper refusal.
    limits: { maxUpdateBytes: 512 * 1024, broadcastWindowMs: env.ACCORD_BROADCAST_WINDOW_MS },
    ...(listen ? { listen: (fn: (payload: string) => void) => listen(DOC_NOTIFY_CHANNEL, fn) } : {}),
  });
  await docs.start();
  return {
    env,
    logger,
    db,
    events,
    auth,
    users: createUserService(db.db, events),
    projects: createProjectService(db.db, events),
    docs,
    compactor,
    rubrics: createRubricService(db.db, docs),
    imports: createImportService({ db: db.db, logger, maxBytes: env.ACCORD_IMPORT_MAX_MB * 1024 * 1024 }),
    judging: createJudgingService(db.db),
  };
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;
