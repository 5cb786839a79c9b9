/**
 * startServer composes the whole product: env → deps → app → HTTP server → realtime, then seeds
 * an empty database and fails import jobs a previous run left unfinished. Used by main.ts and by
 * the integration tests (port 0).
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { DataDirLockedError, pgliteFolderExists, type DbHandle } from '@accord/db';
import { createApp } from './app.ts';
import { closeDeps, createDeps, type Deps } from './deps.ts';
import { parseEnv, type Env } from './env.ts';
import { attachRealtime, type Realtime } from './platform/realtime/index.ts';
import { seedIfEmpty, type SeedResult } from './demo/seed.ts';
import type { FirstStartMessage } from './demo/first-start.ts';
import type { Clock } from './platform/clock.ts';
import type { Logger } from './platform/logger.ts';

export interface RunningServer {
  url: string;
  port: number;
  deps: Deps;
  realtime: Realtime;
  httpServer: HttpServer;
  seed: SeedResult | null;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** An already-open database (tests share one per file). */
  db?: DbHandle;
  logger?: Logger;
  /** Whether close() also closes the database (default: only if startServer opened it). */
  closeDb?: boolean;
  /** The wall clock of time-based rules (session expiry, qualification retry delays); tests move it instead of waiting. */
  clock?: Clock;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const env: Env = parseEnv(options.env);
  // A new embedded database is created and seeded by a child process (see demo/first-start.ts).
  const firstStart = !options.db && !env.DATABASE_URL && !pgliteFolderExists(env.dataDir) ? await firstStartInChild(options.env ?? null, env.dataDir) : null;
  const deps = await createDeps(env, { db: options.db, logger: options.logger, clock: options.clock });
  try {
    const seed = firstStart ? firstStart.seed : await seedIfEmpty(deps);
    await deps.imports.init();
    deps.consensus.start();
    deps.quality.start();
    deps.maintenance.start();
    const app = createApp(deps);
    const httpServer = createAdaptorServer({ fetch: app.fetch }) as HttpServer;
    // Slow or stalled clients must not hold sockets forever.
    httpServer.requestTimeout = 60_000;
    httpServer.headersTimeout = 20_000;
    const realtime = attachRealtime(httpServer, deps);
    await new Promise<void>((res, rej) => {
      httpServer.once('error', rej);
      httpServer.listen(env.PORT, env.HOST, () => res());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST;
    const closeDb = options.closeDb ?? !options.db;
    let closing: Promise<void> | null = null;
    return {
      url: `http://${host}:${port}`,
      port,
      deps,
      realtime,
      httpServer,
      seed,
      close() {
        closing ??= (async () => {
          await realtime.close();
          // Every room's pending log entries are written before the database goes: a graceful restart loses nothing.
          await closeDeps(deps, { closeDb: false });
          httpServer.closeAllConnections?.();
          await new Promise<void>((res) => httpServer.close(() => res()));
          if (closeDb) await deps.db.close();
        })();
        return closing;
      },
    };
  } catch (e) {
    await closeDeps(deps, { closeDb: !options.db });
    throw e;
  }
}

/**
 * Runs demo/first-start.ts in a child process (through tsx, as the server itself runs) and returns its
 * seed result. It parses `source` as this process parsed it (null: its environment, inherited from
 * this process's). Its output goes to this process's; its failure is rethrown here (a locked data folder
 * as DataDirLockedError, so main.ts reports it as on any start).
 */
async function firstStartInChild(source: Record<string, string | undefined> | null, dataDir: string): Promise<{ seed: SeedResult | null }> {
  const script = fileURLToPath(new URL('./demo/first-start.ts', import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = fork(script, [], { execArgv: ['--import', tsx], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    let message: FirstStartMessage | null = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('message', (m) => (message = m as FirstStartMessage));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start the first-start process: ${e.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const m = message as FirstStartMessage | null;
      if (m && 'seed' in m && code === 0) return resolve(m);
      if (m && 'error' in m) return reject(m.error.locked ? new DataDirLockedError(m.error.locked.dataDir, m.error.locked.ownerPid) : new Error(m.error.message));
      reject(new Error(`creating and seeding the new database in ${dataDir} failed (first-start process ${signal ? `killed by ${signal}` : `exited with ${code}`}; its output is above). Start again: a folder left unfinished is migrated, and seeded if it has no users yet.`));
    });
    child.send({ source });
  });
}
