import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

describe('createRateLimiter', () => {
  it('blocks after max failures within the window, tells how long to wait, and forgets after it', () => {
    let now = 0;
    const rl = createRateLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(rl.retryAfter('k')).toBe(0);
      rl.fail('k');
    }
    expect(rl.retryAfter('k')).toBe(60);
    now = 30_000;
    expect(rl.retryAfter('k')).toBe(30);
    expect(rl.retryAfter('other')).toBe(0);
    now = 60_001;
    expect(rl.retryAfter('k')).toBe(0);
  });

  it('reset clears a key', () => {
    const rl = createRateLimiter(1, 1000, () => 0);
    rl.fail('k');
    expect(rl.retryAfter('k')).toBeGreaterThan(0);
    rl.reset('k');
    expect(rl.retryAfter('k')).toBe(0);
  });
});
