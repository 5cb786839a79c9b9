/**
 * Everything the app needs, built once from the environment: database, services, events.
 * `createApp(deps)` and `attachRealtime(server, deps)` only close over this.
 */
import { createDb, type DbHandle } from '@accord/db';
import type { Env } from './env.ts';
import { createAuthService } from './services/auth.ts';
import { createEvents } from './services/events.ts';
import { createLogger, type Logger } from './services/logger.ts';
import { createProjectService } from './services/projects.ts';
import { createRateLimiter } from './services/rate-limit.ts';
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
  return {
    env,
    logger,
    db,
    events,
    auth,
    users: createUserService(db.db, events),
    projects: createProjectService(db.db, events),
    imports: createImportService({ db: db.db, logger, maxBytes: env.ACCORD_IMPORT_MAX_MB * 1024 * 1024 }),
    judging: createJudgingService(db.db),
  };
}

export type Deps = Awaited<ReturnType<typeof createDeps>>;
