import { describe, expect, it } from 'vitest';
import { backgroundJob, coalesce } from './background.ts';

/** A job whose runs wait for the test to let them end. */
function gated() {
  const ends: Array<() => void> = [];
  let runs = 0;
  const work = () => {
    runs++;
    return new Promise<void>((resolve) => ends.push(resolve));
  };
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 1));
  };
  return { work, ends, runs: () => runs, until };
}

describe('backgroundJob', () => {
  it('runs one at a time, and once more for every request made while it runs', async () => {
    const g = gated();
    const job = backgroundJob(g.work, { soonMs: 1, onError: () => undefined });
    const first = job.run();
    expect(g.runs()).toBe(1);
    // Three requests during the run: one more run after it, not three, and not alongside it.
    const a = job.run();
    const b = job.run();
    void job.run();
    expect(g.runs()).toBe(1);
    g.ends.shift()!();
    await g.until(() => g.runs() === 2);
    g.ends.shift()!();
    await Promise.all([first, a, b]);
    expect(g.runs()).toBe(2);
  });

  it('soon() runs once for a burst of calls, and a failure is reported and does not stop later runs', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const job = backgroundJob(
      async () => {
        runs++;
        if (runs === 1) throw new Error('first run fails');
      },
      { soonMs: 5, onError: (e) => errors.push(e) },
    );
    job.soon();
    job.soon();
    job.soon();
    const g = gated();
    await g.until(() => runs === 1 && errors.length === 1);
    expect((errors[0] as Error).message).toBe('first run fails');
    await job.run();
    expect(runs).toBe(2);
    await job.close();
  });

  it('close() cancels a pending soon(), waits for the run in progress and starts none after it', async () => {
    const g = gated();
    const job = backgroundJob(g.work, { soonMs: 1, onError: () => undefined });
    void job.run();
    void job.run(); // asks for one more run after this one
    const closing = job.close();
    job.soon();
    g.ends.shift()!();
    await closing;
    await job.run();
    await new Promise((r) => setTimeout(r, 20));
    expect(g.runs()).toBe(1);
  });
});

describe('coalesce', () => {
  it('a failing run rejects every caller that shares it, once; the next call runs again', async () => {
    let runs = 0;
    let fail: (e: Error) => void = () => undefined;
    const c = coalesce(() => {
      runs++;
      return runs === 1 ? new Promise<void>((_, reject) => (fail = reject)) : Promise.resolve();
    });
    const first = c.run();
    const second = c.run(); // asks for one more run, but shares the failing one
    expect(c.running).toBe(first);
    fail(new Error('read failed'));
    await expect(first).rejects.toThrow('read failed');
    await expect(second).rejects.toThrow('read failed');
    expect(runs).toBe(1); // a failure does not repeat by itself
    expect(c.running).toBeNull();
    await c.run();
    expect(runs).toBe(2);
  });

  it('stops repeating once stopped', async () => {
    const g = gated();
    let stopped = false;
    const c = coalesce(g.work, () => stopped);
    const first = c.run();
    void c.run();
    stopped = true;
    g.ends.shift()!();
    await first;
    expect(g.runs()).toBe(1);
  });
});
