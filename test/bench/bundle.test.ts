/**
 * Bundle budget: the browser bundle of the core entry (esbuild, platform browser, minified,
 * xstate and axios external), gzipped, must stay under the limit recorded in
 * bench/bundle-budget.json, and must never contain node: builtins, the simulator, the Node
 * gateway or the demo. See docs/performance.md (bundle) for the figures and the goal.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORE_ENTRY, measureBundle, type BundleBudget } from '../../bench/lib/bundle.js';

const budget = JSON.parse(readFileSync(new URL('../../bench/bundle-budget.json', import.meta.url), 'utf8')) as BundleBudget;

describe('browser bundle of the core entry', () => {
  it('stays within the recorded gzip budget', async () => {
    const core = await measureBundle(CORE_ENTRY, false);
    expect(budget.coreGzipLimitBytes).toBeGreaterThan(0);
    expect(core.gzipBytes, `core is ${core.gzipBytes} B gz, the budget ${budget.coreGzipLimitBytes} B; largest inputs: ${core.inputs
      .slice(0, 5)
      .map((i) => `${i.path} ${i.bytes} B`)
      .join(', ')}`).toBeLessThanOrEqual(budget.coreGzipLimitBytes);
  });

  it('holds no node: builtins, simulator, Node gateway or demo code', async () => {
    const core = await measureBundle(CORE_ENTRY, false);
    expect(core.forbidden).toEqual([]);
    expect(core.inputs.map((i) => i.path)).toContain('machines/chatSession.machine.ts');
  });

  it('tree-shakes: an app importing only createChatSession gets no storage helpers or providers', async () => {
    const only = await measureBundle({ contents: "export { createChatSession } from './src/index.js';", name: 'createChatSession only' }, false);
    const paths = only.inputs.map((i) => i.path);
    expect(only.forbidden).toEqual([]);
    expect(paths).not.toContain('src/session/storage.ts');
    expect(paths.some((p) => p.startsWith('src/gateway/'))).toBe(false);
  });

  it('would notice the simulator sneaking in (the check itself works)', async () => {
    const leaky = await measureBundle({ contents: "export * from './src/index.js'; export { startSimulator } from './src/simulator/index.js';", name: 'leaky' }, false);
    expect(leaky.forbidden.some((f) => f.startsWith('node:'))).toBe(true);
    expect(leaky.forbidden.some((f) => f.startsWith('src/simulator/'))).toBe(true);
  });
});
