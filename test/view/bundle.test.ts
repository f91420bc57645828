/**
 * The view module is in the core entry but costs nothing to an app that does not use it, and
 * stays browser-safe (no node: builtins, no simulator, gateway or demo code).
 */
import { describe, expect, it } from 'vitest';
import { measureBundle } from '../../bench/lib/bundle.js';

describe('view module in the browser bundle', () => {
  it('tree-shakes: createChatSession alone pulls in no view code', async () => {
    const only = await measureBundle({ contents: "export { createChatSession } from './src/index.js';", name: 'createChatSession only' }, false);
    expect(only.inputs.map((i) => i.path).filter((p) => p.startsWith('src/view/'))).toEqual([]);
  });

  it('connectChat alone is browser-safe and small', async () => {
    const view = await measureBundle({ contents: "export { connectChat } from './src/index.js';", name: 'connectChat only' }, false);
    expect(view.forbidden).toEqual([]);
    expect(view.inputs.map((i) => i.path)).not.toContain('machines/chatSession.machine.ts');
    // With the validation and transcript helpers it shares with the machine: about 5.4 KB gz today.
    expect(view.gzipBytes).toBeLessThan(7 * 1024);
  });
});
