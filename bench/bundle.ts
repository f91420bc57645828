/**
 * Benchmark 5 — bundle size of the core entry (machine + client + actors + session helpers),
 * minified and gzipped, without and with its peers (xstate, axios), plus what a typical app
 * that imports only createChatSession gets after tree-shaking.
 *
 *   node --import tsx bench/bundle.ts [--update-budget]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORE_ENTRY, measureBundle, type BundleBudget } from './lib/bundle.js';
import { hasFlag, machineInfo, writeResult } from './lib/results.js';
import { BENCH_DIR } from './lib/spawn.js';

const BUDGET_FILE = join(BENCH_DIR, 'bundle-budget.json');
const TARGET_GZIP_BYTES = 12 * 1024;

async function main(): Promise<void> {
  const startedAt = performance.now();
  const core = await measureBundle(CORE_ENTRY, false);
  const coreWithPeers = await measureBundle(CORE_ENTRY, true);
  const sessionOnly = await measureBundle({ contents: "export { createChatSession } from './src/index.js';", name: 'createChatSession only' }, false);
  const sessionOnlyWithPeers = await measureBundle({ contents: "export { createChatSession } from './src/index.js';", name: 'createChatSession only' }, true);
  const peersOnly = await measureBundle({ contents: "export { createActor, setup } from 'xstate'; export { default as axios } from 'axios';", name: 'peers (xstate setup/createActor + axios)' }, true);
  const budget = JSON.parse(readFileSync(BUDGET_FILE, 'utf8')) as BundleBudget;

  if (hasFlag('update-budget')) {
    const updated: BundleBudget = {
      ...budget,
      coreGzipLimitBytes: Math.ceil((core.gzipBytes + 256) / 64) * 64,
      recordedGzipBytes: core.gzipBytes,
      recordedAt: new Date().toISOString().slice(0, 10),
    };
    writeFileSync(BUDGET_FILE, `${JSON.stringify(updated, null, 2)}\n`);
    console.log(`bundle budget: limit ${updated.coreGzipLimitBytes} B (now ${core.gzipBytes} B)`);
  }

  const summary = (b: typeof core) => ({ entry: b.entry, withPeers: b.withPeers, minifiedBytes: b.minifiedBytes, gzipBytes: b.gzipBytes, forbidden: b.forbidden });
  const result = {
    core: summary(core),
    coreWithPeers: summary(coreWithPeers),
    createChatSessionOnly: summary(sessionOnly),
    createChatSessionOnlyWithPeers: summary(sessionOnlyWithPeers),
    peers: summary(peersOnly),
    largestInputs: core.inputs.slice(0, 12),
    budget: { limitBytes: budget.coreGzipLimitBytes, recordedBytes: budget.recordedGzipBytes },
    target: { gzipBytes: TARGET_GZIP_BYTES },
  };
  writeResult('bundle', startedAt, result, machineInfo());
  console.log(`bundle: core ${core.gzipBytes} B gz (${coreWithPeers.gzipBytes} B with peers); target ${TARGET_GZIP_BYTES} B; forbidden: ${core.forbidden.length ? core.forbidden.join(', ') : 'none'}`);
}

await main();
