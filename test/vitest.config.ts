import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['integration/**/*.test.ts', 'e2e/**/*.test.ts'],
    // Each file starts its own server and database (PGlite takes seconds and ~600 MB), and much of a
    // file's time is spent waiting (on a browser, a child process, PostgreSQL): two files at a time
    // fill a 2-core machine (CI's size) without crowding it. Files share nothing (each has its own
    // data folder, database, ports and screenshot names). ACCORD_TEST_FILES=1 runs them one by one.
    fileParallelism: process.env.ACCORD_TEST_FILES !== '1',
    maxWorkers: Number(process.env.ACCORD_TEST_FILES ?? 2),
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // expect.poll defaults to a 1-second window, which a loaded 2-core machine (CI's size) misses:
    // a poll waits up to 30 s (it returns as soon as the condition holds).
    expect: { poll: { timeout: 30_000, interval: 50 } },
    reporters: ['default'],
  },
});
