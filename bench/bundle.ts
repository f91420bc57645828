/**
 * Benchmark 5 — bundle size of the core entry (machine + client + actors + session helpers),
 * minified and gzipped, without and with its peers (xstate, axios), plus what a typical app
 * that imports only createChatSession gets after tree-shaking. Per transport: what a page loads
 * up front with the fetch transport (axios, the default, is a dynamic import it never reaches)
 * versus with axios (up front plus the axios chunk its first request loads), split the way
 * Vite / Rollup / webpack emit it.
 *
 *   node --import tsx bench/bundle.ts [--update-budget]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_IN_AXIOS, ALL_IN_FETCH, CORE_ENTRY, FETCH_TRANSPORT_ENTRY, measureBundle, measureSplit, NODE_TRANSPORT_ENTRY, type BundleBudget, type SplitFigures } from './lib/bundle.js';
import { hasFlag, machineInfo, writeResult } from './lib/results.js';
import { BENCH_DIR } from './lib/spawn.js';

const BUDGET_FILE = join(BENCH_DIR, 'bundle-budget.json');
const SESSION_ONLY = "export { createChatSession } from './src/index.js';";
const WITH_FETCH = "export { fetchTransport } from './src/client/transports/fetch.js';";

const splitSummary = (x: SplitFigures) => ({
  entry: x.entry,
  initial: { chunks: x.initial.chunks, minifiedBytes: x.initial.minifiedBytes, gzipBytes: x.initial.gzipBytes },
  lazy: { chunks: x.lazy.chunks, minifiedBytes: x.lazy.minifiedBytes, gzipBytes: x.lazy.gzipBytes },
  axiosUpFront: x.initial.inputs.some((i) => i.path.startsWith('node_modules/axios/')),
  forbidden: x.forbidden,
});
const TARGET_GZIP_BYTES = 12 * 1024;

async function main(): Promise<void> {
  const startedAt = performance.now();
  const core = await measureBundle(CORE_ENTRY, false);
  const coreWithPeers = await measureBundle(CORE_ENTRY, true);
  const sessionOnly = await measureBundle({ contents: "export { createChatSession } from './src/index.js';", name: 'createChatSession only' }, false);
  const sessionOnlyWithPeers = await measureBundle({ contents: "export { createChatSession } from './src/index.js';", name: 'createChatSession only' }, true);
  const peersOnly = await measureBundle({ contents: "export { createActor, setup } from 'xstate'; export { default as axios } from 'axios';", name: 'peers (xstate setup/createActor + axios)' }, true);
  const fetchEntry = await measureBundle(FETCH_TRANSPORT_ENTRY, false);
  const nodeEntry = await measureBundle(NODE_TRANSPORT_ENTRY, false);
  const split = {
    coreFetch: await measureSplit(ALL_IN_FETCH, true),
    coreAxios: await measureSplit(ALL_IN_AXIOS, true),
    sessionFetch: await measureSplit({ contents: `${SESSION_ONLY} ${WITH_FETCH}`, name: 'createChatSession + fetchTransport, with xstate' }, true),
    sessionAxios: await measureSplit({ contents: SESSION_ONLY, name: 'createChatSession (axios), with xstate + axios' }, true),
  };
  const budget = JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as BundleBudget;

  if (hasFlag('update-budget')) {
    const updated: BundleBudget = {
      ...budget,
      coreGzipLimitBytes: Math.ceil((core.gzipBytes + 256) / 64) * 64,
      recordedGzipBytes: core.gzipBytes,
      allInFetchGzipLimitBytes: Math.ceil((split.coreFetch.initial.gzipBytes + 512) / 64) * 64,
      recordedAllInFetchGzipBytes: split.coreFetch.initial.gzipBytes,
      recordedAt: new Date().toISOString().slice(0, 10),
    };
    writeFileSync(BUDGET_FILE, `${JSON.stringify(updated, null, 2)}\n`);
    console.log(`bundle budget: core limit ${updated.coreGzipLimitBytes} B (now ${core.gzipBytes} B); all-in with fetch ${updated.allInFetchGzipLimitBytes} B (now ${split.coreFetch.initial.gzipBytes} B)`);
  }

  const summary = (b: typeof core) => ({ entry: b.entry, withPeers: b.withPeers, minifiedBytes: b.minifiedBytes, gzipBytes: b.gzipBytes, forbidden: b.forbidden });
  const result = {
    core: summary(core),
    coreWithPeers: summary(coreWithPeers),
    createChatSessionOnly: summary(sessionOnly),
    createChatSessionOnlyWithPeers: summary(sessionOnlyWithPeers),
    peers: summary(peersOnly),
    largestInputs: core.inputs.slice(0, 12),
    transports: {
      fetchEntry: summary(fetchEntry),
      nodeEntry: summary(nodeEntry),
      ...Object.fromEntries(Object.entries(split).map(([key, value]) => [key, splitSummary(value)])),
    },
    budget: { limitBytes: budget.coreGzipLimitBytes, recordedBytes: budget.recordedGzipBytes, allInFetchLimitBytes: budget.allInFetchGzipLimitBytes },
    target: { gzipBytes: TARGET_GZIP_BYTES },
  };
  writeResult('bundle', startedAt, result, machineInfo());
  const loaded = (x: SplitFigures, withLazy: boolean) => x.initial.gzipBytes + (withLazy ? x.lazy.gzipBytes : 0);
  console.log(`bundle, all-in with xstate: fetch transport ${loaded(split.coreFetch, false)} B gz, axios ${loaded(split.coreAxios, true)} B gz (${split.coreAxios.initial.gzipBytes} up front + ${split.coreAxios.lazy.gzipBytes} on the first request)`);
  console.log(`bundle: core ${core.gzipBytes} B gz (${coreWithPeers.gzipBytes} B with peers); target ${TARGET_GZIP_BYTES} B; forbidden: ${core.forbidden.length ? core.forbidden.join(', ') : 'none'}`);
}

await main();
