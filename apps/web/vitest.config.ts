import { defineConfig } from 'vitest/config';

// Unit tests cover the plain .ts modules (router matcher, safe redirect, api errors, key sequences);
// components are exercised by the browser tests in test/e2e.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
    // Timeouts hold on a loaded 2-core machine (CI's size): a test is bounded, never raced against a second.
    testTimeout: 30_000,
    expect: { poll: { timeout: 30_000, interval: 50 } },
  },
});
