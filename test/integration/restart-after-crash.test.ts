/**
 * The server restarts after a crash even when its old pid now belongs to another live process
 * (a process that is not Accord, or PID 1 again in a restarted container): the data folder lock
 * names pid + process start time + boot id, and dies with its holder. Real processes, kill -9.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHolder, processStartTime } from '@accord/db';
import { ApiClient } from '../utils/client.ts';
import { runServerProcess, type ServerProcess } from '../utils/process.ts';

const hasProc = processStartTime(process.pid) !== null;
if (!hasProc) console.warn('[skip] restart with a reused pid: no /proc here to tell processes apart by start time');

const dataDir = mkdtempSync(join(tmpdir(), 'accord-restart-'));
const procs: ServerProcess[] = [];
const others: ChildProcess[] = [];
afterAll(async () => {
  for (const p of procs) await p.stop('SIGKILL');
  for (const c of others) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function start(): ServerProcess {
  const p = runServerProcess({ ACCORD_DATA_DIR: dataDir, ACCORD_LOG: 'error' }, 120_000);
  procs.push(p);
  return p;
}

/** An unrelated live process started now: the pid the crashed server had, handed to someone else. */
async function unrelatedProcess(): Promise<number> {
  const c = spawn('sleep', ['120'], { stdio: 'ignore' });
  others.push(c);
  await expect.poll(() => processStartTime(c.pid!), { timeout: 20_000 }).not.toBeNull();
  return c.pid!;
}

async function signInAsLead(url: string): Promise<ApiClient> {
  const logins = JSON.parse(readFileSync(join(dataDir, 'demo-logins.json'), 'utf8')) as { email: string; password: string; role: string }[];
  const lead = logins.find((l) => l.role === 'lead')!;
  const c = new ApiClient(url);
  await c.login(lead.email, lead.password);
  return c;
}

describe.skipIf(!hasProc)('restart after kill -9 when the old pid belongs to a live process', () => {
  const lockFile = join(dataDir, 'accord.lock');

  it('starts, is killed, and restarts over a lock whose pid now names an unrelated process (new lock format)', async () => {
    const first = start();
    const firstUrl = await first.ready;
    const seeded = (await (await signInAsLead(firstUrl)).get<{ total: number }>('/api/projects')).body.total;
    expect(seeded).toBeGreaterThan(0);
    const written = parseHolder(readFileSync(lockFile, 'utf8'));
    expect(written?.pid).toBe(first.child.pid);
    expect(written?.start).toBe(processStartTime(first.child.pid!));
    await first.stop('SIGKILL');
    expect(existsSync(lockFile)).toBe(true);

    // The dead server's lock, with its pid now in use by a live process that is not Accord.
    const reused = await unrelatedProcess();
    writeFileSync(lockFile, JSON.stringify({ ...written, pid: reused }) + '\n');

    const again = start();
    const url = await again.ready;
    expect(again.output()).not.toContain('Demo workspace created');
    const c = await signInAsLead(url);
    // The demo workspace of the first start, not a second one.
    expect((await c.get<{ total: number }>('/api/projects')).body.total).toBe(seeded);
    expect(parseHolder(readFileSync(lockFile, 'utf8'))?.pid).toBe(again.child.pid);
    await again.stop('SIGKILL');
  }, 300_000);

  it('restarts over a lock in the old format (a bare pid) whose pid now names a process started after the crash', async () => {
    // The lock as the old server wrote it: its pid, written when it started.
    const first = start();
    const firstUrl = await first.ready;
    const seeded = (await (await signInAsLead(firstUrl)).get<{ total: number }>('/api/projects')).body.total;
    expect(seeded).toBeGreaterThan(0);
    const writtenAt = statSync(lockFile).mtime;
    await first.stop('SIGKILL');
    // The pid is handed to a process that starts clearly after the lock was written.
    await expect.poll(() => Date.now() - writtenAt.getTime(), { timeout: 20_000 }).toBeGreaterThan(3000);
    const reused = await unrelatedProcess();
    writeFileSync(lockFile, String(reused));
    utimesSync(lockFile, writtenAt, writtenAt);

    const again = start();
    const url = await again.ready;
    await signInAsLead(url);
    // A clean stop removes the lock.
    expect(await again.stop('SIGTERM')).toBe(0);
    expect(existsSync(lockFile)).toBe(false);
  }, 300_000);
});
