/**
 * The view module is in the core entry but costs nothing to an app that does not use it, and
 * stays browser-safe (no node: builtins, no simulator, gateway or demo code). Its Chinese texts
 * are a separate entry, `aicc-chat-machine/locales/zh_CN`, which a page loads only to show them.
 */
import { readFileSync } from 'node:fs';
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

  it('the Chinese texts are their own entry: connectChat does not load them, and they load nothing else', async () => {
    const view = await measureBundle({ contents: "export { connectChat } from './src/index.js';", name: 'connectChat only' }, false);
    expect(view.inputs.map((i) => i.path)).not.toContain('src/locales/zh_CN.ts');
    const zh = await measureBundle({ contents: "export { ZH_CN_TEXTS } from './src/locales/zh_CN.js';", name: 'zh_CN texts' }, false);
    expect(zh.inputs.map((i) => i.path)).toEqual(['src/locales/zh_CN.ts']);
    // About 2.3 KB gz: what a page that shows Chinese adds (1.6 KB before the gateway refusal
    // texts; Chinese text hardly compresses).
    expect(zh.gzipBytes).toBeLessThan(2.5 * 1024);
  });

  it('package.json exports it as aicc-chat-machine/locales/zh_CN', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(pkg.exports['./locales/zh_CN']).toEqual({ types: './dist/src/locales/zh_CN.d.ts', default: './dist/src/locales/zh_CN.js' });
  });
});
