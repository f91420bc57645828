import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests start their own simulators on port 0, so files can run in parallel safely.
    pool: 'threads',
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
