import { defineConfig } from 'vitest/config';

// Unit tests cover the plain .ts modules (router matcher, safe redirect, api errors, key sequences);
// components are exercised by the browser tests in test/e2e.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
