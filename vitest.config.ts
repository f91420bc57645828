import { defineConfig } from 'vitest/config';
import { TEST_TIMEOUT_MS, TIME, TIME_SCALE_ENV, TIME_SCALE_REASON_ENV, WAIT_MS } from './test/support/timeBudget.js';

// Time limits are hang detectors that scale with the machine (docs/testing.md, "Time limits").
// The scale is resolved once, here, before any worker starts; every worker gets the same value.
const timeEnv = { [TIME_SCALE_ENV]: String(TIME.scale), [TIME_SCALE_REASON_ENV]: TIME.reason };
Object.assign(process.env, timeEnv);

/**
 * Files that load the machine on purpose (hundreds of sessions, a flood, thousands of sockets,
 * mutants in worker processes) and check what the machine still does under that load: they run
 * after the others, one at a time, as they did when the whole suite had one worker.
 */
const LOAD_TESTS = [
  'test/chaos/chaos.test.ts',
  'test/gateway/flood.test.ts',
  'test/gateway/capacity.test.ts',
  'test/gateway/fdLimit.test.ts',
  'test/simulator/scale.test.ts',
  'test/model/chatSession.model.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: TEST_TIMEOUT_MS,
    hookTimeout: TEST_TIMEOUT_MS,
    expect: { poll: { timeout: WAIT_MS } },
    env: timeEnv,
    // Tests start their own simulators on port 0, so files can run in parallel safely.
    pool: 'threads',
    // One build and `npm pack` of the package per run, shared by the tests that install it (test/support/packedPackage.ts).
    globalSetup: ['./test/support/packageSetup.ts'],
    reporters: ['default', './test/support/summaryReporter.ts'],
    projects: [
      {
        extends: true,
        // vitest's default is one worker fewer than the cores: one on a 2-core machine. Most files
        // wait on other processes (Chromium, Vite, tsc, redis) or on the network, so two keep both
        // cores busy.
        test: { name: 'parallel', include: ['test/**/*.test.ts'], exclude: LOAD_TESTS, maxWorkers: 2 },
      },
      { extends: true, test: { name: 'load', include: LOAD_TESTS, fileParallelism: false } },
    ],
  },
});
