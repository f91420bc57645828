/**
 * The scenarios (scenarios.ts) on the shipped system: promises the model's paths cannot reach
 * (the poll loop's backoff, runs of failures, a CONNECT answer lost after processing, a browser
 * that stays offline), over real HTTP against the simulator. The mutation run runs them too.
 */
import { describe, it } from 'vitest';
import { budget } from '../support/timeBudget.js';
import { SCENARIOS } from './scenarios.js';

describe('scenarios beyond the model paths', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.promise}`, () => scenario.run(), budget(20_000));
  }
});
