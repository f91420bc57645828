/**
 * Bundle budget: what a page loads up front for each import set of BUNDLE_ENTRIES (esbuild,
 * platform browser, minified, production, code-split; the package as `npm run build` publishes
 * it), gzipped, must stay under its limit in bench/bundle-budget.json, and must never contain
 * node: builtins, the simulator, the Node gateway or the demo. The published build carries no
 * statechart descriptions; the sources and the Stately export keep them. See docs/performance.md
 * (section 5) for the figures and the goals.
 */
import { readFileSync } from 'node:fs';
import type { AnyStateNode } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  ALL_IN_FETCH,
  BUNDLE_ENTRIES,
  CORE_ENTRY,
  FETCH_TRANSPORT_ENTRY,
  measureBundle,
  measureSplit,
  NODE_TRANSPORT_ENTRY,
  type BundleBudget,
  type BundleEntryKey,
} from '../../bench/lib/bundle.js';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { emitBuild } from '../../scripts/build.js';

const budget = JSON.parse(readFileSync(new URL('../../bench/bundle-budget.json', import.meta.url), 'utf8')) as BundleBudget;
const ENTRY_KEYS = Object.keys(BUNDLE_ENTRIES) as BundleEntryKey[];

describe('browser bundle budgets', () => {
  it('the budget file has a limit for every measured entry, and only for those', () => {
    expect(Object.keys(budget.entries).sort()).toEqual([...ENTRY_KEYS].sort());
    for (const key of ENTRY_KEYS) expect(budget.entries[key].limitGzipBytes, key).toBeGreaterThan(0);
  });

  it.each(ENTRY_KEYS)('%s stays within its recorded gzip budget', async (key) => {
    const entry = BUNDLE_ENTRIES[key];
    const split = await measureSplit(entry, entry.withPeers);
    const limit = budget.entries[key].limitGzipBytes;
    const largest = split.initial.inputs
      .slice(0, 5)
      .map((i) => `${i.path} ${i.bytes} B`)
      .join(', ');
    expect(split.forbidden).toEqual([]);
    expect(split.initial.gzipBytes, `${entry.name}: ${split.initial.gzipBytes} B gz up front, the budget ${limit} B; largest inputs: ${largest}`).toBeLessThanOrEqual(limit);
  });
});

describe('browser bundle of the core entry', () => {
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

  it('the core (machine, actors, client) loads no transport up front: the axios one is a lazy chunk', async () => {
    const core = await measureSplit(BUNDLE_ENTRIES.core, false);
    expect(core.initial.inputs.map((i) => i.path).filter((p) => p.startsWith('src/client/transports/'))).toEqual([]);
    expect(core.lazy.inputs.map((i) => i.path)).toContain('src/client/transports/axios.ts');
  });

  it('the rarely used client APIs are a lazy chunk of their own, and the page loads one chunk up front', async () => {
    const core = await measureSplit(BUNDLE_ENTRIES.core, false);
    const lazyOnly = ['src/client/lazyApis.ts', 'src/client/base64.ts', 'src/client/progress.ts'];
    expect(core.initial.chunks).toBe(1);
    expect(core.initial.inputs.map((i) => i.path).filter((p) => lazyOnly.includes(p))).toEqual([]);
    expect(core.lazy.inputs.map((i) => i.path).sort()).toEqual([...lazyOnly, 'src/client/transports/axios.ts'].sort());
  });

  it('would notice the simulator sneaking in (the check itself works)', async () => {
    const leaky = await measureBundle({ contents: "export * from './src/index.js'; export { startSimulator } from './src/simulator/index.js';", name: 'leaky' }, false);
    expect(leaky.forbidden.some((f) => f.startsWith('node:'))).toBe(true);
    expect(leaky.forbidden.some((f) => f.startsWith('src/simulator/'))).toBe(true);
  });
});

describe('statechart descriptions: in the sources and the Stately export, not in what ships', () => {
  const descriptions: string[] = [];
  const collect = (node: AnyStateNode): void => {
    if (node.description) descriptions.push(node.description);
    for (const child of Object.values(node.states) as AnyStateNode[]) collect(child);
  };
  collect(chatSessionMachine.root);

  it('the machine source describes its states, and `npm run stately`’s export keeps every description', () => {
    expect(descriptions.length).toBeGreaterThanOrEqual(20);
    const exported = readFileSync(new URL('../../machines/chatSession.machine.json', import.meta.url), 'utf8');
    for (const text of descriptions) expect(exported).toContain(JSON.stringify(text));
  });

  it('npm run build emits the machine without them', () => {
    const emitted = new Map<string, string>();
    const diagnostics = emitBuild({ files: ['machines/chatSession.machine.ts'], write: (name, text) => emitted.set(name, text) });
    expect(diagnostics).toEqual([]);
    const js = [...emitted].find(([name]) => name.endsWith('machines/chatSession.machine.js'))?.[1] ?? '';
    expect(js).toContain('createMachine(');
    expect(js).toContain("'auth-retry'");
    expect(js).not.toMatch(/\bdescription:/);
    for (const text of descriptions) expect(js).not.toContain(text);
  });

  it('a production bundle of the whole entry holds none of them', async () => {
    const bundle = await measureBundle(ALL_IN_FETCH, true);
    for (const text of descriptions) expect(bundle.text).not.toContain(text);
  });

  it('the published machine is the source machine minus its descriptions: same states, transitions, actions, guards', async () => {
    const built = await measureBundle({ contents: "export { chatSessionMachine } from './machines/chatSession.machine.js';", name: 'machine as published' }, true);
    const published = (await import(`data:text/javascript;base64,${Buffer.from(built.text).toString('base64')}`)) as { chatSessionMachine: typeof chatSessionMachine };
    const withoutDescriptions = (config: unknown): unknown => JSON.parse(JSON.stringify(config), (key, value: unknown) => (key === 'description' ? undefined : value));
    expect(JSON.stringify(published.chatSessionMachine.config)).not.toContain('"description"');
    expect(withoutDescriptions(published.chatSessionMachine.config)).toEqual(withoutDescriptions(chatSessionMachine.config));
  });
});

describe('transports in the browser bundle', () => {
  const TRANSPORTS = ['src/client/transports/node.ts', 'src/client/transports/net.ts', 'src/client/transports/fetch.ts'];

  it('the core entry imports none of the node, net and fetch transports (they have entries of their own)', async () => {
    const core = await measureBundle(CORE_ENTRY, false);
    const paths = core.inputs.map((i) => i.path);
    for (const transport of TRANSPORTS) expect(paths).not.toContain(transport);
  });

  it('the fetch transport’s entry holds no node: builtins; the node transport’s would be caught', async () => {
    const fetchEntry = await measureBundle(FETCH_TRANSPORT_ENTRY, false);
    expect(fetchEntry.forbidden).toEqual([]);
    expect(fetchEntry.inputs.map((i) => i.path)).toContain('src/client/transports/fetch.ts');
    const nodeEntry = await measureBundle(NODE_TRANSPORT_ENTRY, false);
    expect(nodeEntry.forbidden.some((f) => f.startsWith('node:http'))).toBe(true);
  });

  it('with the fetch transport, axios is only in a chunk loaded on demand, never up front', async () => {
    const split = await measureSplit(ALL_IN_FETCH, true);
    const upFront = split.initial.inputs.map((i) => i.path);
    expect(split.forbidden).toEqual([]);
    expect(upFront).toContain('src/client/transports/fetch.ts');
    expect(upFront.some((p) => p.startsWith('node_modules/xstate/'))).toBe(true);
    expect(upFront.filter((p) => p.startsWith('node_modules/axios/') || p === 'src/client/transports/axios.ts')).toEqual([]);
    expect(split.lazy.inputs.map((i) => i.path)).toContain('src/client/transports/axios.ts');
  });
});
