/** Runs the real `main.ts` as a child process, the way `npm start` does, and reads what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inheritedEnv } from './env.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The server's start script (`apps/server/package.json`), read once: its words before `node` and after it. */
const START = (() => {
  const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'apps/server/package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  const node = words.indexOf('node');
  return { beforeNode: words.slice(0, node), afterNode: words.slice(node + 1) };
})();
const MAIN = resolve(REPO_ROOT, 'apps/server/src/main.ts');

export interface ServerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the URL once the server prints that it is running; rejects if it exits first. */
  ready: Promise<string>;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The node flags of the server's start script (`apps/server/package.json`), read from it, so tests,
 * benchmarks and `npm run cluster` run the server as `npm start` does, with no copy to keep in step.
 * Today `--max-semi-space-size=32` (V8's default here: 16) and `--no-memory-reducer` (docs/performance-log.md:
 * the memory reducer shrank the young generation in the middle of a load). With the first, objects of a request in flight die young
 * instead of being promoted, so the server collects its old generation less often (a major
 * collection's helper threads took both cores for tens of milliseconds under `perf sched`). Four
 * alternated pairs of `bench:load -- --trainers 32 --large 20000 --seconds 10`: the server's CPU per
 * judgment paced at half the ceiling 1.85–2.08 ms against 1.97–2.59 ms without, saturated at 20,000
 * items 1.12–1.35 against 1.21–1.67 ms; idle RSS unchanged (240 against 238 MB on PGlite).
 */
export const SERVER_NODE_FLAGS: readonly string[] = START.afterNode.filter((w) => w.startsWith('--') && w !== '--import');

/**
 * The environment the server's start script sets before `node`, read from it like the flags: today
 * `MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072`, glibc's allocator returning large freed blocks to
 * the system (docs/performance-log.md: "memory"). Set over the caller's environment, as the script does.
 */
export const SERVER_START_ENV: Readonly<Record<string, string>> = Object.fromEntries(
  START.beforeNode.map((w) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(w))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]),
);


/** With the start script's flags and environment; `nodeArgs`: extra flags for node before the entry point (e.g. `--cpu-prof` for a benchmark). */
export function runServerProcess(env: Record<string, string>, timeoutMs = 60_000, nodeArgs: string[] = []): ServerProcess {
  const clean = inheritedEnv();
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...nodeArgs, '--import', 'tsx', MAIN], { cwd: REPO_ROOT, env: { ...clean, ...SERVER_START_ENV, PORT: '0', HOST: '127.0.0.1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const ready = new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /Accord is running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!.replace('localhost', '127.0.0.1'));
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      rej(new Error(`server exited with ${code} before starting:\n${out}`));
    });
  });
  ready.catch(() => {});
  return {
    child,
    output: () => out,
    ready,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
