/**
 * PGlite has no cross-process lock, and two processes writing one data folder corrupt it. A lock
 * file names its holder by process id, the process's start time and the machine's boot id, so the
 * lock dies with its holder: after a crash, a pid that now belongs to another process (any process
 * that is not Accord, or the server itself as PID 1 of a restarted container) no longer holds it.
 *
 * Liveness: the named pid must exist now, on the same boot, with the same start time (Linux
 * `/proc/<pid>/stat` field 22). Without /proc (macOS) a live pid counts as a holder, except our own
 * pid, which holds only the locks this process took. The old format (a bare pid) is still read: with
 * /proc, a process that started after the lock was written cannot be the one that wrote it.
 *
 * Every write is atomic: a lock appears complete (a temp file hard-linked into place, failing if
 * the lock exists) or not at all. Taking over a stale lock first takes a claim named after the stale
 * content (itself created the same way, and itself taken over if its claimer died), so of several
 * starters racing over one stale lock exactly one replaces it (rename over it); the others then find
 * a live lock and are refused.
 */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, openSync, closeSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by another Accord process (pid ${ownerPid}). ` +
        `Stop that process, or set ACCORD_DATA_DIR to another folder, or use DATABASE_URL to share a PostgreSQL server between processes.`,
    );
    this.name = 'DataDirLockedError';
  }
}

export interface DataDirLock {
  path: string;
  release(): void;
}

/** Who holds a lock: a pid, and where known its start time (clock ticks since boot) and the boot id. */
export interface LockHolder {
  pid: number;
  start?: string;
  boot?: string;
}

const LOCK_FILE = 'accord.lock';
/** Claims nest only when claimers crash in the instant between claiming and replacing. */
const MAX_CLAIM_DEPTH = 8;
/** USER_HZ: the unit of /proc/<pid>/stat start times; 100 on every mainstream Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Field 22 of /proc/<pid>/stat: the process start time in clock ticks after boot; null without /proc. */
export function processStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may contain spaces or parentheses itself.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = rest[22 - 3];
  return start && /^\d+$/.test(start) ? start : null;
}

let cachedBootId: string | null | undefined;
export function bootId(): string | null {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBootId = null;
    }
  }
  return cachedBootId;
}

/** Wall-clock ms at which a process with this /proc start time started; null when unknown. */
function startedAtMs(startTicks: string): number | null {
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    return btime ? Number(btime) * 1000 + (Number(startTicks) * 1000) / CLOCK_TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

export function currentHolder(): LockHolder {
  const start = processStartTime(process.pid);
  const boot = bootId();
  return { pid: process.pid, ...(start ? { start } : {}), ...(boot ? { boot } : {}) };
}

export function formatHolder(h: LockHolder): string {
  return JSON.stringify(h) + '\n';
}

/** Reads both formats: `{"pid":…,"start":…,"boot":…}` and the old bare pid. Null if unreadable. */
export function parseHolder(text: string): LockHolder | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const pid = Number(t);
    return Number.isSafeInteger(pid) && pid > 0 ? { pid } : null;
  }
  try {
    const v = JSON.parse(t) as Record<string, unknown>;
    if (!Number.isSafeInteger(v.pid) || (v.pid as number) <= 0) return null;
    return {
      pid: v.pid as number,
      ...(typeof v.start === 'string' && /^\d+$/.test(v.start) ? { start: v.start } : {}),
      ...(typeof v.boot === 'string' && v.boot ? { boot: v.boot } : {}),
    };
  } catch {
    return null;
  }
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Lock files this process holds (in this module instance), for the case /proc cannot tell. */
const heldPaths = new Set<string>();

/** Whether the process named by a lock file still holds it. `writtenAtMs`: the file's mtime. */
export function holderIsLive(h: LockHolder, path: string, writtenAtMs: number): boolean {
  if (!pidExists(h.pid)) return false;
  const boot = bootId();
  if (h.boot && boot && h.boot !== boot) return false; // written before a reboot: every process is new
  const start = processStartTime(h.pid);
  if (h.start && start) return h.start === start;
  if (!h.start && start) {
    // Old format: a process that started after the lock was written cannot have written it.
    const startedAt = startedAtMs(start);
    if (startedAt !== null && startedAt > writtenAtMs + 2000) return false;
  }
  // No start time to compare. Our own pid holds only what this process took.
  if (h.pid === process.pid) return heldPaths.has(path);
  return true;
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

function readIfExists(path: string): { text: string; mtimeMs: number } | null {
  try {
    const mtimeMs = statSync(path).mtimeMs;
    return { text: readFileSync(path, 'utf8'), mtimeMs };
  } catch (e) {
    if (errno(e) === 'ENOENT') return null;
    throw e;
  }
}

function tempPath(path: string): string {
  return `${path}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
}

/** Creates `path` with `content` only if it does not exist; the file never appears half-written. */
function createExclusive(path: string, content: string): boolean {
  const tmp = tempPath(path);
  writeFileSync(tmp, content, { flag: 'wx' });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errno(e) ?? '')) throw e;
    // A file system without hard links: exclusive create, then write (a reader may briefly see it empty).
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, content);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch (e2) {
      if (errno(e2) === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
  }
}

function replaceAtomically(path: string, content: string): void {
  const tmp = tempPath(path);
  writeFileSync(tmp, content, { flag: 'wx' });
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

function unlinkIfContent(path: string, content: string): void {
  try {
    if (readFileSync(path, 'utf8') === content) unlinkSync(path);
  } catch {
    /* already gone */
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

type Outcome = { ok: true } | { ok: false; holder: LockHolder };

/** Takes `path` for `content`, taking over a stale holder; or names the live holder. */
function acquireFile(path: string, content: string, depth: number): Outcome {
  if (depth > MAX_CLAIM_DEPTH) throw new Error(`could not take the lock ${path}: too many abandoned take-over claims beside it`);
  const attempts = 200;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (createExclusive(path, content)) return { ok: true };
    const seen = readIfExists(path);
    if (!seen) continue; // released just now
    const holder = parseHolder(seen.text);
    if (holder && holderIsLive(holder, path, seen.mtimeMs)) return { ok: false, holder };
    // Stale (or unreadable): only the starter holding the claim on exactly this content replaces it.
    const claim = `${path}.takeover-${createHash('sha256').update(seen.text).digest('hex').slice(0, 16)}`;
    const claimed = acquireFile(claim, content, depth + 1);
    if (!claimed.ok) {
      // A live starter is taking it over right now; it will hold the lock in a moment.
      if (attempt === attempts) return claimed;
      sleepSync(10);
      continue;
    }
    try {
      if (readIfExists(path)?.text === seen.text) {
        replaceAtomically(path, content);
        return { ok: true };
      }
      // Changed since we looked (released, or taken over by a claimer before us): look again.
    } finally {
      unlinkIfContent(claim, content);
    }
  }
  throw new Error(`could not take the lock ${path}: it kept changing`);
}

/** Removes take-over claims and temp files that crashed starters left beside the lock. */
function sweepLeftovers(dataDir: string, path: string): void {
  const prefix = basename(path) + '.';
  for (const name of readdirSync(dataDir)) {
    if (!name.startsWith(prefix)) continue;
    const file = join(dataDir, name);
    const seen = readIfExists(file);
    if (!seen) continue;
    if (name.endsWith('.tmp')) {
      // Ours are removed at once; a temp file an hour old belongs to a starter that crashed.
      if (Date.now() - seen.mtimeMs > 3_600_000) unlinkIfContent(file, seen.text);
      continue;
    }
    const holder = parseHolder(seen.text);
    if (!holder || !holderIsLive(holder, file, seen.mtimeMs)) unlinkIfContent(file, seen.text);
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const content = formatHolder(currentHolder());
  const outcome = acquireFile(path, content, 0);
  if (!outcome.ok) throw new DataDirLockedError(dataDir, outcome.holder.pid);
  heldPaths.add(path);
  try {
    sweepLeftovers(dirname(path), path);
  } catch {
    /* best effort */
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    heldPaths.delete(path);
    unlinkIfContent(path, content);
  };
  process.once('exit', release);
  return { path, release };
}
