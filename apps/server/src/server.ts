/**
 * startServer composes the whole product: env → deps → app → HTTP server → realtime, then seeds
 * an empty database and fails import jobs a previous run left unfinished. Used by main.ts and by
 * the integration tests (port 0).
 */
import type { AddressInfo } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { DbHandle } from '@accord/db';
import { createApp } from './app.ts';
import { createDeps, type Deps } from './deps.ts';
import { parseEnv, type Env } from './env.ts';
import { attachRealtime, type Realtime } from './platform/realtime/index.ts';
import { seedIfEmpty, type SeedResult } from './demo/seed.ts';
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
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const env: Env = parseEnv(options.env);
  const deps = await createDeps(env, { db: options.db, logger: options.logger });
  try {
    const seed = await seedIfEmpty(deps);
    await deps.imports.init();
    deps.consensus.start();
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
          await deps.bus.close();
          // Every room's pending log entries are written before the database goes: a graceful restart loses nothing.
          await deps.docs.close();
          await deps.compactor.close();
          await deps.imports.close();
          await deps.consensus.close();
          await deps.quality.close();
          httpServer.closeAllConnections?.();
          await new Promise<void>((res) => httpServer.close(() => res()));
          if (closeDb) await deps.db.close();
        })();
        return closing;
      },
    };
  } catch (e) {
    await deps.bus.close();
    await deps.imports.close();
    await deps.consensus.close();
    await deps.docs.close();
    await deps.compactor.close();
    if (!options.db) await deps.db.close();
    throw e;
  }
}
