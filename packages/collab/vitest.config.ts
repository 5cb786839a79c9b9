import { defineConfig } from 'vitest/config';

// Timeouts hold on a loaded 2-core machine (CI's size): a test is bounded, never raced against a second.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 30_000, expect: { poll: { timeout: 30_000, interval: 50 } } } });
