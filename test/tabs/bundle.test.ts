/**
 * `aicc-chat-machine/tabs` is a browser entry of its own: no node: builtins, no simulator or
 * gateway code, and the core entry does not pull it in.
 */
import { describe, expect, it } from 'vitest';
import { CORE_ENTRY, measureBundle } from '../../bench/lib/bundle.js';

describe('the tabs entry in a browser bundle', () => {
  it('holds nothing Node-only; the core entry holds none of it', async () => {
    const tabs = await measureBundle('src/tabs/index.ts', false);
    expect(tabs.forbidden).toEqual([]);
    expect(tabs.inputs.map((i) => i.path)).toContain('src/tabs/coordinator.ts');
    const core = await measureBundle(CORE_ENTRY, false);
    expect(core.inputs.some((i) => i.path.startsWith('src/tabs/'))).toBe(false);
  });

  it('createTabSession alone builds for the browser without Node-only code', async () => {
    const only = await measureBundle({ contents: "export { createTabSession } from './src/tabs/index.js';", name: 'createTabSession only' }, false);
    expect(only.forbidden).toEqual([]);
    expect(only.inputs.map((i) => i.path)).toContain('src/tabs/coordinator.ts');
  });
});
