/** The time scale of test/support/timeBudget.ts (docs/testing.md, "Time limits"). */
import { describe, expect, it } from 'vitest';
import { MAX_AUTO_SCALE, TEST_TIMEOUT_MS, TIME_SCALE, budget, eventually, resolveTimeScale } from './timeBudget.js';

const idle = { load1: 0.2, cores: 2 };

describe('resolveTimeScale', () => {
  it('is 1 on an idle machine outside CI', () => {
    expect(resolveTimeScale({ env: {}, ...idle }).scale).toBe(1);
    expect(resolveTimeScale({ env: { CI: 'false' }, ...idle }).scale).toBe(1);
    expect(resolveTimeScale({ env: { CI: '0' }, ...idle }).scale).toBe(1);
  });

  it('doubles under CI', () => {
    expect(resolveTimeScale({ env: { CI: 'true' }, ...idle })).toMatchObject({ scale: 2, reason: expect.stringContaining('CI ×2') });
  });

  it('grows with the load per core at the start, and CI and load multiply', () => {
    expect(resolveTimeScale({ env: {}, load1: 2, cores: 2 }).scale).toBe(2);
    expect(resolveTimeScale({ env: {}, load1: 4, cores: 2 }).scale).toBe(3);
    expect(resolveTimeScale({ env: { CI: '1' }, load1: 2, cores: 2 }).scale).toBe(4);
    expect(resolveTimeScale({ env: {}, load1: 40, cores: 2 }).scale).toBe(MAX_AUTO_SCALE);
  });

  it('takes AICC_TEST_TIME_SCALE as is, and refuses a bad one', () => {
    expect(resolveTimeScale({ env: { AICC_TEST_TIME_SCALE: '0.5', CI: 'true' }, load1: 9, cores: 2 }).scale).toBe(0.5);
    expect(resolveTimeScale({ env: { AICC_TEST_TIME_SCALE: '12' }, ...idle }).scale).toBe(12);
    expect(() => resolveTimeScale({ env: { AICC_TEST_TIME_SCALE: 'fast' }, ...idle })).toThrow(/AICC_TEST_TIME_SCALE/);
    expect(() => resolveTimeScale({ env: { AICC_TEST_TIME_SCALE: '0' }, ...idle })).toThrow(/AICC_TEST_TIME_SCALE/);
  });
});

describe('in this run', () => {
  it('the workers use the scale vitest.config.ts resolved, and vitest the scaled timeout', ({ task }) => {
    expect(process.env['AICC_TEST_TIME_SCALE']).toBe(String(TIME_SCALE));
    expect(budget(1_000)).toBe(Math.ceil(1_000 * TIME_SCALE));
    expect(TEST_TIMEOUT_MS).toBe(budget(60_000));
    expect(task.timeout).toBe(TEST_TIMEOUT_MS);
  });

  it('eventually returns what the check returned, retries on false and on a throw', async () => {
    let calls = 0;
    const value = await eventually(() => {
      calls += 1;
      if (calls === 1) return false;
      if (calls === 2) throw new Error('not yet');
      return 'done';
    });
    expect(value).toBe('done');
    expect(calls).toBe(3);
  });

  it('eventually ends with the last assertion error, saying it timed out', async () => {
    const failing = eventually(() => expect(1).toBe(2), { idleMs: 20 / TIME_SCALE, what: 'one to be two' });
    await expect(failing).rejects.toThrow(/timed out after \d+ ms .*waiting for one to be two: expected 1 to be 2/);
  });
});
