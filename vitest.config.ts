import { defineConfig } from 'vitest/config';
import { TEST_TIMEOUT_MS, TIME, TIME_SCALE_ENV, TIME_SCALE_REASON_ENV, WAIT_MS } from './test/support/timeBudget.js';

// Time limits are hang detectors that scale with the machine (docs/testing.md, "Time limits").
// The scale is resolved once, here, before any worker starts; every worker gets the same value.
const timeEnv = { [TIME_SCALE_ENV]: String(TIME.scale), [TIME_SCALE_REASON_ENV]: TIME.reason };
Object.assign(process.env, timeEnv);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: TEST_TIMEOUT_MS,
    hookTimeout: TEST_TIMEOUT_MS,
    expect: { poll: { timeout: WAIT_MS } },
    env: timeEnv,
    // Tests start their own simulators on port 0, so files can run in parallel safely.
    pool: 'threads',
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
});
