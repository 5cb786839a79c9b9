/**
 * The data folder lock dies with its holder: a pid that now names another process (a live process
 * that is not Accord, or our own pid reused, as PID 1 in a restarted container) no longer holds it.
 * Real processes throughout: `sleep` stands in for an unrelated process, and hold-lock.ts for a
 * second Accord process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, bootId, DataDirLockedError, parseHolder, processStartTime, type DataDirLock } from './lock.ts';

const HOLD_LOCK = resolve(dirname(fileURLToPath(import.meta.url)), 'testing/hold-lock.ts');
const hasProc = processStartTime(process.pid) !== null;

const children: ChildProcess[] = [];
const dirs: string[] = [];
let dir: string;
let lock: DataDirLock | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'accord-lockfile-'));
  dirs.push(dir);
});
afterEach(() => {
  lock?.release();
  lock = null;
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function spawnSleep(): ChildProcess {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

/** A second process taking the lock; resolves with what it printed (`locked <pid>` / `refused <pid>`). */
function spawnHolder(dataDir: string, goFile?: string): { child: ChildProcess; said: Promise<string>; waiting: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLD_LOCK, dataDir, ...(goFile ? [goFile] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const said = new Promise<string>((res, rej) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const line = /^(locked|refused) \d+$/m.exec(out);
      if (line) res(line[0]);
    });
    child.once('exit', (code) => rej(new Error(`hold-lock exited with ${code}: ${err}`)));
  });
  said.catch(() => {});
  const waiting = new Promise<void>((res, rej) => {
    child.stdout!.on('data', () => /^waiting$/m.test(out) && res());
    child.once('exit', (code) => rej(new Error(`hold-lock exited with ${code}: ${err}`)));
  });
  waiting.catch(() => {});
  return { child, said, waiting };
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

const lockFile = () => join(dir, 'accord.lock');
const lockHolder = () => parseHolder(readFileSync(lockFile(), 'utf8'));

describe('data folder lock', () => {
  it('records pid, start time and boot id, and refuses a second taker in the same process', () => {
    lock = acquireDataDirLock(dir);
    const h = lockHolder();
    expect(h?.pid).toBe(process.pid);
    if (hasProc) {
      expect(h?.start).toBe(processStartTime(process.pid));
      expect(h?.boot).toBe(bootId());
    }
    expect(() => acquireDataDirLock(dir)).toThrow(DataDirLockedError);
    lock.release();
    lock = null;
    expect(existsSync(lockFile())).toBe(false);
  });

  it.skipIf(!hasProc)('takes over a lock naming a live process that is not its holder (the pid was reused)', async () => {
    const sleeper = spawnSleep();
    await expect.poll(() => processStartTime(sleeper.pid!), { timeout: 20_000 }).not.toBeNull();
    const realStart = processStartTime(sleeper.pid!)!;
    writeFileSync(lockFile(), JSON.stringify({ pid: sleeper.pid, start: String(Number(realStart) + 1), boot: bootId() }) + '\n');
    lock = acquireDataDirLock(dir);
    expect(lockHolder()?.pid).toBe(process.pid);
    expect(sleeper.exitCode).toBeNull(); // the unrelated process is left alone
  });

  it.skipIf(!hasProc)('takes over a lock naming our own pid with another start time (PID 1 again after a container restart)', () => {
    const own = processStartTime(process.pid)!;
    writeFileSync(lockFile(), JSON.stringify({ pid: process.pid, start: String(Number(own) - 1), boot: bootId() }) + '\n');
    lock = acquireDataDirLock(dir);
    expect(lockHolder()).toEqual({ pid: process.pid, start: own, boot: bootId() });
  });

  it.skipIf(!hasProc)('takes over a lock written before the last boot even if its pid is alive now', () => {
    const sleeper = spawnSleep();
    writeFileSync(lockFile(), JSON.stringify({ pid: sleeper.pid, start: processStartTime(sleeper.pid!) ?? '1', boot: '00000000-0000-0000-0000-000000000000' }));
    lock = acquireDataDirLock(dir);
    expect(lockHolder()?.pid).toBe(process.pid);
  });

  it('refuses while a live second process holds it, naming its pid; after kill -9 of that process takes it over', async () => {
    const holder = spawnHolder(dir);
    expect(await holder.said).toBe(`locked ${holder.child.pid}`);
    let refused: unknown;
    try {
      acquireDataDirLock(dir);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(DataDirLockedError);
    expect((refused as DataDirLockedError).ownerPid).toBe(holder.child.pid);
    expect((refused as Error).message).toContain(`(pid ${holder.child.pid})`);
    holder.child.kill('SIGKILL');
    await exited(holder.child);
    lock = acquireDataDirLock(dir);
    expect(lockHolder()?.pid).toBe(process.pid);
  });

  describe('the old format (a bare pid)', () => {
    it('is still read: a live process that was running when the lock was written holds it', () => {
      const sleeper = spawnSleep();
      writeFileSync(lockFile(), String(sleeper.pid));
      expect(() => acquireDataDirLock(dir)).toThrow(new DataDirLockedError(dir, sleeper.pid!).message);
    });

    it('a dead pid is taken over', () => {
      // pid 2^22+1 is above Linux's largest pid_max, so no live process has it.
      writeFileSync(lockFile(), '4194305\n');
      lock = acquireDataDirLock(dir);
      expect(lockHolder()?.pid).toBe(process.pid);
    });

    it.skipIf(!hasProc)('a pid whose process started after the lock was written is taken over', () => {
      const sleeper = spawnSleep();
      writeFileSync(lockFile(), String(sleeper.pid));
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(lockFile(), hourAgo, hourAgo);
      lock = acquireDataDirLock(dir);
      expect(lockHolder()?.pid).toBe(process.pid);
    });
  });

  it('of several starters racing over one stale lock exactly one wins, and the others are refused naming it', async () => {
    for (let round = 0; round < 4; round++) {
      const d = mkdtempSync(join(tmpdir(), 'accord-lockrace-'));
      dirs.push(d);
      // Stale: a dead pid in the new format; in round 1 also a take-over claim a crashed starter left behind.
      const stale = JSON.stringify({ pid: 4194305, start: '1', boot: bootId() ?? undefined }) + '\n';
      writeFileSync(join(d, 'accord.lock'), stale);
      if (round === 1) writeFileSync(join(d, `accord.lock.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`), '4194306\n');
      const go = join(d, 'go');
      const racers = Array.from({ length: 4 }, () => spawnHolder(d, go));
      // Every racer is up and spinning at the start line before it opens.
      await Promise.all(racers.map((r) => r.waiting));
      writeFileSync(go, '');
      const said = await Promise.all(racers.map((r) => r.said));
      const winners = said.filter((s) => s.startsWith('locked '));
      expect(winners, said.join(', ')).toHaveLength(1);
      const winnerPid = Number(winners[0]!.split(' ')[1]);
      expect(said.filter((s) => s === `refused ${winnerPid}`)).toHaveLength(racers.length - 1);
      expect(parseHolder(readFileSync(join(d, 'accord.lock'), 'utf8'))?.pid).toBe(winnerPid);
      // Nothing but the lock (and the start line) is left in the folder.
      expect(readdirSync(d).sort()).toEqual(['accord.lock', 'go']);
      for (const r of racers) r.child.kill('SIGKILL');
      await Promise.all(racers.map((r) => exited(r.child)));
    }
  });
});
