/** Where benchmark results go: a quick (development) run never overwrites a published figure. */
import { describe, expect, it } from 'vitest';
import { resultFileName } from '../../bench/lib/results.js';

describe('result files', () => {
  it('a full run writes <name>.json, a quick run <name>-quick.json (ignored by git)', () => {
    expect(resultFileName('overhead', false)).toBe('overhead');
    expect(resultFileName('overhead', true)).toBe('overhead-quick');
    expect(resultFileName('scale-node', true)).toBe('scale-node-quick');
    expect(resultFileName('machine-step-quick', true)).toBe('machine-step-quick');
  });
});
