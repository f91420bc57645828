/**
 * Ends the run with one plain line, `N passed, N failed` (`, N skipped` when any), so whatever
 * reads the log — CI included — sees the outcome without parsing vitest's decorated summary.
 * Starts it with the time scale in effect (test/support/timeBudget.ts), so a log shows which
 * limits the run had.
 */
import type { Reporter, TestModule } from 'vitest/node';
import { TEST_TIMEOUT_MS, TIME, WAIT_MS } from './timeBudget.js';

export default class SummaryReporter implements Reporter {
  onInit(): void {
    process.stdout.write(
      `time limits ×${TIME.scale} (${TIME.reason}): test timeout ${Math.round(TEST_TIMEOUT_MS / 1000)} s, waits ${Math.round(WAIT_MS / 1000)} s; see docs/testing.md, "Time limits"\n`,
    );
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A file that failed to load has no tests but must not pass silently.
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
  }
}
