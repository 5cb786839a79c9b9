import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['integration/**/*.test.ts', 'e2e/**/*.test.ts'],
    // Each file starts its own server and database (PGlite takes seconds and ~600 MB): one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // expect.poll defaults to a 1-second window, which a loaded 2-core machine (CI's size) misses:
    // a poll waits up to 30 s (it returns as soon as the condition holds).
    expect: { poll: { timeout: 30_000, interval: 50 } },
    reporters: ['default'],
  },
});
