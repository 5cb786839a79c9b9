/**
 * The only reader of process.env. Parsed once at start-up; a bad value stops the server with a
 * message naming the variable.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const bool = (def: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { message: 'must be 1/0, true/false, yes/no or on/off' })
    .optional()
    .transform((v) => (v === undefined ? def : ['1', 'true', 'yes', 'on'].includes(v)));

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: int(3000, 0, 65535),
    HOST: z.string().min(1).default('0.0.0.0'),
    ACCORD_DATA_DIR: z.string().min(1).optional(),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'must start with postgres:// or postgresql://' })
      .optional(),
    /**
     * PostgreSQL connections per node (its pool); each request holds one only while a statement runs.
     * Four: more backends than the database has cores to run them only take turns on those cores
     * with the server's own thread (docs/server.md, "the pool").
     */
    ACCORD_DB_POOL: int(4, 1, 1000),
    /**
     * Where no autovacuum runs (PGlite always; PostgreSQL with autovacuum off), every this many seconds
     * the tables it would analyze or vacuum are (by its thresholds). 0: never. Imports analyze their
     * table whatever this is.
     */
    ACCORD_DB_MAINTENANCE_SECONDS: int(30, 0, 86_400),
    /**
     * PostgreSQL: a maintenance pass with work waits while the database is busy (other connections
     * keep statements running), at most this many seconds, then runs anyway; 0: never waits.
     */
    ACCORD_DB_MAINTENANCE_MAX_WAIT_SECONDS: int(300, 0, 86_400),
    /** Embedded database only: PostgreSQL's shared_buffers in MB (resident memory; the OS caches the files as well). */
    ACCORD_PGLITE_SHARED_BUFFERS_MB: int(16, 1, 4096),
    /**
     * Embedded database only: `baseline` compiles its WebAssembly with V8's baseline compiler only
     * (60–90 MB less resident memory, a faster start); `optimizing` also recompiles hot functions
     * (heavy queries about a quarter faster).
     */
    ACCORD_PGLITE_WASM: z.enum(['baseline', 'optimizing'], { message: 'must be baseline or optimizing' }).default('baseline'),
    ACCORD_DEMO: bool(true),
    ACCORD_ADMIN_EMAIL: z.string().email({ message: 'must be an email address' }).optional(),
    ACCORD_ADMIN_PASSWORD: z.string().min(10, { message: 'must be at least 10 characters' }).max(1024).optional(),
    /** Comma-separated origins allowed for state-changing cookie requests and socket handshakes, besides the server's own. */
    ACCORD_ORIGINS: z
      .string()
      .optional()
      .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []))
      .pipe(z.array(z.string().url({ message: 'must be a comma-separated list of origins like https://accord.example.com' }))),
    /** Trust X-Forwarded-For/-Proto from a reverse proxy. Off by default, so they cannot be spoofed. */
    ACCORD_TRUST_PROXY: bool(false),
    ACCORD_SESSION_IDLE_MINUTES: int(12 * 60, 1, 60 * 24 * 30),
    ACCORD_SESSION_MAX_HOURS: int(7 * 24, 1, 24 * 365),
    ACCORD_LOGIN_MAX_PER_ACCOUNT: int(8, 1, 10_000),
    ACCORD_LOGIN_MAX_PER_ADDRESS: int(30, 1, 100_000),
    ACCORD_LOGIN_WINDOW_SECONDS: int(15 * 60, 1, 24 * 3600),
    /** Failed sign-ins allowed per window from one browser that signed in to the account before (its device cookie). */
    ACCORD_LOGIN_MAX_PER_DEVICE: int(8, 1, 10_000),
    /** How long a browser stays known to an account after signing in (device cookie lifetime). */
    ACCORD_DEVICE_COOKIE_DAYS: int(180, 1, 3650),
    ACCORD_WEB_DIST: z.string().optional(),
    /** Live documents: at most one broadcast per room per this many ms under load (0: one per event-loop turn). */
    ACCORD_BROADCAST_WINDOW_MS: int(10, 0, 1000),
    /** Live documents: document sockets one user (or API token) may hold open on one node. */
    ACCORD_DOC_SOCKETS_PER_USER: int(1024, 1, 100_000),
    /** Live documents: how often each document socket is pinged; one silent until the next ping is dropped (Socket.IO has its own heartbeat). */
    ACCORD_DOC_PING_SECONDS: int(30, 5, 3600),
    /** Live documents: MiB of document frames one connection may have waiting beyond the largest frame it was sent; a client that stops reading is dropped past it. */
    ACCORD_DOC_BUFFER_MB: int(16, 1, 1024),
    /** Live documents: MiB of document frames one user's connections on one node may have waiting in all (each beyond its largest frame); past it their lagging connections are dropped. */
    ACCORD_DOC_USER_BUFFER_MB: int(64, 1, 65_536),
    ACCORD_LOG: z.enum(['silent', 'error', 'info', 'debug']).default('info'),
    /** Largest import file accepted, in MiB. */
    ACCORD_IMPORT_MAX_MB: int(1024, 1, 64 * 1024),
    /** Red teaming: calls one user may make to a project's model per minute (through the server). */
    ACCORD_REDTEAM_CALLS_PER_MINUTE: int(20, 1, 10_000),
    /** Red teaming: the largest model response read, in KiB; a larger one is refused. */
    ACCORD_REDTEAM_MAX_RESPONSE_KB: int(1024, 1, 64 * 1024),
    /**
     * Fault tests only: a dispute commit holds its transaction open this many ms before COMMIT, after
     * logging (error level) that it does, so a test can kill the process mid-commit. 0: off.
     */
    ACCORD_FAULT_COMMIT_PAUSE_MS: int(0, 0, 600_000),
  })
  .superRefine((e, ctx) => {
    if (e.ACCORD_ADMIN_EMAIL && !e.ACCORD_ADMIN_PASSWORD)
      ctx.addIssue({ code: 'custom', path: ['ACCORD_ADMIN_PASSWORD'], message: 'is required when ACCORD_ADMIN_EMAIL is set' });
    if (e.ACCORD_ADMIN_PASSWORD && !e.ACCORD_ADMIN_EMAIL)
      ctx.addIssue({ code: 'custom', path: ['ACCORD_ADMIN_EMAIL'], message: 'is required when ACCORD_ADMIN_PASSWORD is set' });
  });

export type Env = z.output<typeof EnvSchema> & { dataDir: string; webDist: string };

export class EnvError extends Error {
  override name = 'EnvError';
}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const r = EnvSchema.safeParse(source);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join('\n')}`);
  }
  return {
    ...r.data,
    dataDir: resolve(r.data.ACCORD_DATA_DIR ?? resolve(REPO_ROOT, '.accord')),
    webDist: resolve(r.data.ACCORD_WEB_DIST ?? resolve(REPO_ROOT, 'apps/web/dist')),
  };
}
