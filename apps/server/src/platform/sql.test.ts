import { describe, expect, it } from 'vitest';
import { escapeLike, isDeadlock, retryingDeadlocks } from './sql.ts';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('retryingDeadlocks', () => {
  it('runs a transaction that lost a deadlock again, and returns its result', async () => {
    let calls = 0;
    const r = await retryingDeadlocks(async () => {
      calls++;
      // drizzle wraps the driver's error: the code is on its cause.
      if (calls < 3) throw Object.assign(new Error('Failed query'), { cause: pgError(calls === 1 ? '40P01' : '40001') });
      return 'stored';
    });
    expect([r, calls]).toEqual(['stored', 3]);
  });

  it('passes any other error through at once, and gives up on a deadlock after five attempts', async () => {
    let calls = 0;
    await expect(
      retryingDeadlocks(async () => {
        calls++;
        throw pgError('23505');
      }),
    ).rejects.toThrow('pg 23505');
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      retryingDeadlocks(async () => {
        calls++;
        throw pgError('40P01');
      }),
    ).rejects.toThrow('pg 40P01');
    expect(calls).toBe(5);
    expect([isDeadlock(null), isDeadlock(new Error('x')), isDeadlock(pgError('40P01'))]).toEqual([false, false, true]);
  });

  it('escapes LIKE wildcards', () => {
    expect(escapeLike('50%_a\\b')).toBe('50\\%\\_a\\\\b');
  });
});
