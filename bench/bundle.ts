/**
 * Benchmark 5 — bundle size. Every import set of BUNDLE_ENTRIES (bench/lib/bundle.ts), built the
 * way a web app's production build would and split the way Vite / Rollup / webpack emit it: what
 * a page loads up front, and what a dynamic import loads later (the default axios transport).
 * Also: what each part of the package adds to the core and to the all-in bundle (breakdown),
 * what the statechart descriptions would cost if they were shipped, each transport's own entry,
 * and the same figures per transport for the transport table.
 *
 *   node --import tsx bench/bundle.ts [--update-budget]
 *
 * `--update-budget` records today's sizes in bench/bundle-budget.json with a small margin:
 * re-record deliberately (a change that makes the bundle bigger should say why in its commit).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ALL_IN_AXIOS,
  BUNDLE_ENTRIES,
  breakdown,
  CORE_ENTRY,
  FETCH_TRANSPORT_ENTRY,
  measureBundle,
  measureSplit,
  NODE_TRANSPORT_ENTRY,
  type BundleBudget,
  type BundleEntryKey,
  type SplitFigures,
} from './lib/bundle.js';
import { hasFlag, machineInfo, writeResult } from './lib/results.js';
import { BENCH_DIR } from './lib/spawn.js';

const BUDGET_FILE = join(BENCH_DIR, 'bundle-budget.json');
const SESSION_ONLY = "export { createChatSession } from './src/index.js';";
const WITH_FETCH = "export { fetchTransport } from './src/client/transports/fetch.js';";

/**
 * Other browser chat clients, for scale: their published browser bundles, gzipped (level 9).
 * Measured once (npm pack, 2026-12-06), not by this script: each ships a prebuilt bundle that
 * does not change with our code.
 */
const OTHER_CLIENTS = [
  {
    name: 'Amazon Connect ChatJS 1.5.1 (`dist/amazon-connect-chat.js`: session API, bundled AWS participant client and websocket manager, no UI)',
    minifiedBytes: 384_206,
    gzipBytes: 103_292,
  },
  {
    name: 'BotFramework WebChat 4.18.1, minimal bundle (`dist/webchat-minimal.js`: chat UI with React and Direct Line)',
    minifiedBytes: 1_923_133,
    gzipBytes: 482_757,
  },
] as const;

/** Room above today's size before the budget test fails: peers external, and with peers. */
const MARGIN_BYTES = { external: 256, withPeers: 512 } as const;
const roundUp = (bytes: number) => Math.ceil(bytes / 64) * 64;

const splitSummary = (x: SplitFigures) => ({
  entry: x.entry,
  withPeers: x.withPeers,
  initial: { chunks: x.initial.chunks, minifiedBytes: x.initial.minifiedBytes, gzipBytes: x.initial.gzipBytes },
  lazy: { chunks: x.lazy.chunks, minifiedBytes: x.lazy.minifiedBytes, gzipBytes: x.lazy.gzipBytes },
  /** Each lazy chunk by what it is: the axios transport, the rarely used client APIs (src/client/lazyApis.ts). */
  lazyParts: x.lazyParts.map((part) => ({
    name: part.inputs.some((i) => i.path === 'src/client/transports/axios.ts') ? 'axios' : part.inputs.some((i) => i.path === 'src/client/lazyApis.ts') ? 'lazyApis' : part.inputs[0]?.path,
    chunks: part.chunks,
    minifiedBytes: part.minifiedBytes,
    gzipBytes: part.gzipBytes,
  })),
  axiosUpFront: x.initial.inputs.some((i) => i.path.startsWith('node_modules/axios/')),
  forbidden: x.forbidden,
});

async function main(): Promise<void> {
  const startedAt = performance.now();
  const budget = JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as BundleBudget;
  const keys = Object.keys(BUNDLE_ENTRIES) as BundleEntryKey[];

  const measured = {} as Record<BundleEntryKey, SplitFigures>;
  for (const key of keys) measured[key] = await measureSplit(BUNDLE_ENTRIES[key], BUNDLE_ENTRIES[key].withPeers);
  const breakdowns = { core: await breakdown(BUNDLE_ENTRIES.core), allInFetch: await breakdown(BUNDLE_ENTRIES.allInFetch) };
  // The statechart descriptions, were they shipped (the sources as written, not as built).
  const withDescriptions = {
    core: await measureSplit(BUNDLE_ENTRIES.core, false, 'sources'),
    allInFetch: await measureSplit(BUNDLE_ENTRIES.allInFetch, true, 'sources'),
  };
  // How the core entry was measured before issue #16: one file, the axios transport inlined.
  const indexOneFile = await measureBundle(CORE_ENTRY, false);
  const fetchEntry = await measureBundle(FETCH_TRANSPORT_ENTRY, false);
  const nodeEntry = await measureBundle(NODE_TRANSPORT_ENTRY, false);
  const xstateOnly = await measureBundle(
    { contents: "export { assign, createActor, enqueueActions, fromCallback, fromPromise, raise, setup, stateIn } from 'xstate';", name: 'xstate (what the package imports)' },
    true,
  );
  const perTransport = {
    coreFetch: measured.allInFetch,
    coreAxios: await measureSplit(ALL_IN_AXIOS, true),
    sessionFetch: await measureSplit({ contents: `${SESSION_ONLY} ${WITH_FETCH}`, name: 'createChatSession + fetchTransport, with xstate' }, true),
    sessionAxios: await measureSplit({ contents: SESSION_ONLY, name: 'createChatSession (axios), with xstate + axios' }, true),
  };

  if (hasFlag('update-budget')) {
    const entries = Object.fromEntries(
      keys.map((key) => {
        const size = measured[key].initial.gzipBytes;
        const margin = BUNDLE_ENTRIES[key].withPeers ? MARGIN_BYTES.withPeers : MARGIN_BYTES.external;
        return [key, { limitGzipBytes: roundUp(size + margin), recordedGzipBytes: size }];
      }),
    ) as BundleBudget['entries'];
    const updated: BundleBudget = { ...budget, entries, recordedAt: new Date().toISOString().slice(0, 10) };
    writeFileSync(BUDGET_FILE, `${JSON.stringify(updated, null, 2)}\n`);
    for (const key of keys) console.log(`bundle budget ${key}: ${entries[key].limitGzipBytes} B (now ${entries[key].recordedGzipBytes} B)`);
  }
  const recorded = (JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as BundleBudget).entries;

  const result = {
    entries: Object.fromEntries(
      keys.map((key) => [
        key,
        {
          name: BUNDLE_ENTRIES[key].name,
          ...splitSummary(measured[key]),
          limitGzipBytes: recorded[key]?.limitGzipBytes ?? null,
          targetGzipBytes: budget.targets[key] ?? null,
        },
      ]),
    ),
    breakdowns: Object.fromEntries(
      Object.entries(breakdowns).map(([key, b]) => [key, { gzipBytes: b.gzipBytes, groups: b.groups, modules: b.modules.slice(0, 15) }]),
    ),
    descriptions: Object.fromEntries(
      Object.entries(withDescriptions).map(([key, x]) => [
        key,
        { withGzipBytes: x.initial.gzipBytes, withoutGzipBytes: measured[key as BundleEntryKey].initial.gzipBytes, costGzipBytes: x.initial.gzipBytes - measured[key as BundleEntryKey].initial.gzipBytes },
      ]),
    ),
    indexOneFile: { minifiedBytes: indexOneFile.minifiedBytes, gzipBytes: indexOneFile.gzipBytes, forbidden: indexOneFile.forbidden },
    xstate: { minifiedBytes: xstateOnly.minifiedBytes, gzipBytes: xstateOnly.gzipBytes },
    others: OTHER_CLIENTS,
    transports: {
      fetchEntry: { minifiedBytes: fetchEntry.minifiedBytes, gzipBytes: fetchEntry.gzipBytes, forbidden: fetchEntry.forbidden },
      nodeEntry: { minifiedBytes: nodeEntry.minifiedBytes, gzipBytes: nodeEntry.gzipBytes, forbidden: nodeEntry.forbidden },
      ...Object.fromEntries(Object.entries(perTransport).map(([key, value]) => [key, splitSummary(value)])),
    },
    targets: budget.targets,
  };
  writeResult('bundle', startedAt, result, machineInfo());
  for (const key of keys) {
    const x = measured[key];
    const target = budget.targets[key];
    console.log(
      `bundle ${key}: ${x.initial.gzipBytes} B gz up front${x.lazy.gzipBytes ? ` (+${x.lazy.gzipBytes} B lazy)` : ''}` +
        `, budget ${recorded[key]?.limitGzipBytes ?? '–'} B${target ? `, target ${target} B` : ''}${x.forbidden.length ? `; FORBIDDEN: ${x.forbidden.join(', ')}` : ''}`,
    );
  }
}

await main();
