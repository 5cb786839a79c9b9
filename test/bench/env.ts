/** The only reader of process.env for `npm run bench:collab` (the lint rule allows env modules only). */
import { SERVER_START_ENV } from '../utils/process.ts';

export interface CollabBenchEnv {
  /** `clients x edits/s` scenarios, comma-separated (BENCH_SCENARIOS). */
  scenarios: string;
  /** Servers to measure, comma-separated (BENCH_KINDS); null: all. */
  kinds: string | null;
  warmupMs: number;
  loadMs: number;
  /** Profile the child whose file name contains this (BENCH_PROFILE). */
  profile: string | null;
  /** Profile each server over the measured window alone, into this folder (BENCH_PROFILE_WINDOW). */
  profileWindow: string | null;
  observers: number;
  /** Runs of each server per scenario, alternated (BENCH_ROUNDS): goals then compare medians. */
  rounds: number;
  /** Passed on to Accord (ACCORD_BROADCAST_WINDOW_MS). */
  broadcastWindowMs: string | null;
  /** Passed on to Accord (ACCORD_PGLITE_WASM: the embedded database's WebAssembly compilers). */
  pgliteWasm: string | null;
  /** Accord's clients connect over its document sockets (default) or Socket.IO (BENCH_ACCORD_TRANSPORT). */
  accordTransport: 'docsocket' | 'socket.io';
  /** BENCH_PATH=1: where an edit's time goes, from the servers' sockets and the observers' (path-trace.ts). */
  path: boolean;
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}: must be a positive number (got ${raw})`);
  return n;
}

function flag(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new Error(`${name}: must be 1 or 0 (got ${raw})`);
}

function transport(raw: string | undefined): 'docsocket' | 'socket.io' {
  if (raw === undefined || raw === '' || raw === 'docsocket') return 'docsocket';
  if (raw === 'socket.io') return 'socket.io';
  throw new Error(`BENCH_ACCORD_TRANSPORT: must be docsocket or socket.io (got ${raw})`);
}

export function readCollabBenchEnv(source: Record<string, string | undefined> = process.env): CollabBenchEnv {
  return {
    scenarios: source.BENCH_SCENARIOS || '50x100,200x200,400x400',
    kinds: source.BENCH_KINDS || null,
    warmupMs: positive('BENCH_WARMUP_MS', source.BENCH_WARMUP_MS, 2_000),
    loadMs: positive('BENCH_LOAD_MS', source.BENCH_LOAD_MS, 10_000),
    profile: source.BENCH_PROFILE || null,
    profileWindow: source.BENCH_PROFILE_WINDOW || null,
    observers: positive('BENCH_OBSERVERS', source.BENCH_OBSERVERS, 8),
    rounds: Math.floor(positive('BENCH_ROUNDS', source.BENCH_ROUNDS, 1)),
    broadcastWindowMs: source.ACCORD_BROADCAST_WINDOW_MS || null,
    pgliteWasm: source.ACCORD_PGLITE_WASM || null,
    accordTransport: transport(source.BENCH_ACCORD_TRANSPORT),
    path: flag('BENCH_PATH', source.BENCH_PATH),
  };
}

/**
 * The environment of every server the benchmark starts (Accord, the relay, Hocuspocus alike): the one
 * Accord's start script sets (`SERVER_START_ENV`: glibc returns large freed blocks to the system, see
 * docs/performance-log.md, "memory"), unless the caller's environment sets it already.
 */
export function serverChildEnv(source: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  return { ...SERVER_START_ENV, ...source };
}
