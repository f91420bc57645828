/**
 * `npm run bench`: every benchmark, one after the other, each in its own process (with the
 * simulator in yet another), then docs/performance.md regenerated from bench/results/*.json.
 * The library is measured as built (dist/, by `npm run build` first; see lib/library.ts).
 *
 *   node --import tsx bench/run.ts [--quick] [--only overhead,latency,...] [--skip scale]
 */
import { fileURLToPath } from 'node:url';
import { spawnNode } from './lib/spawn.js';
import { QUICK, argValue } from './lib/results.js';

/** `fullOnly`: left out of `--quick` (its point is its length). */
const BENCHES: { name: string; file: string; flags?: string[]; args?: string[]; fullOnly?: boolean }[] = [
  { name: 'bundle', file: 'bundle.ts' },
  { name: 'merge', file: 'merge.ts', flags: ['--expose-gc'] },
  { name: 'machine-step', file: 'machine-step.ts' },
  { name: 'overhead', file: 'overhead.ts' },
  { name: 'overhead-net', file: 'overhead.ts', args: ['--transport', 'net'] },
  { name: 'latency', file: 'latency.ts' },
  { name: 'idle', file: 'idle.ts' },
  { name: 'transport', file: 'transport.ts' },
  { name: 'memory', file: 'memory.ts' },
  { name: 'scale', file: 'scale.ts' },
  { name: 'scale-node', file: 'scale.ts', args: ['--transport', 'node'] },
  { name: 'scale-net', file: 'scale.ts', args: ['--transport', 'net'] },
  // 10 000 sessions over 120 s: the chat grows the heap, and a verdict on 30 s can miss that (docs/performance.md, 3c).
  { name: 'scale-net-10000-120s', file: 'scale.ts', args: ['--transport', 'net', '--steps', '10000', '--duration-ms', '120000', '--result', 'scale-net-10000-120s'], fullOnly: true },
  { name: 'scale-node-semispace64', file: 'scale.ts', args: ['--transport', 'node', '--semi-space-mb', '64'] },
  { name: 'model', file: 'model.ts' },
];

const only = argValue('only')?.split(',');
const skip = argValue('skip')?.split(',') ?? [];

function runOne(file: string, flags: string[], args: string[] = []): Promise<number> {
  const child = spawnNode(fileURLToPath(new URL(file, import.meta.url)), { nodeFlags: flags, args: [...args, ...(QUICK ? ['--quick'] : [])] });
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

const started = performance.now();
const failed: string[] = [];
for (const bench of BENCHES) {
  if ((only && !only.includes(bench.name)) || skip.includes(bench.name) || (QUICK && bench.fullOnly)) continue;
  const t0 = performance.now();
  console.log(`\n== ${bench.name}`);
  const code = await runOne(bench.file, bench.flags ?? [], bench.args);
  console.log(`== ${bench.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (code !== 0) failed.push(bench.name);
}
const code = await runOne('report.ts', []);
if (code !== 0) failed.push('report');
console.log(`\nbench: ${((performance.now() - started) / 1000).toFixed(0)} s${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;
