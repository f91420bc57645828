// Self time per function (and per file) of a .cpuprofile: node bench/lib/top-functions.mjs <file> [n]
import { readFileSync } from 'node:fs';
const profile = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const n = Number(process.argv[3] ?? 40);
const self = new Map();
const byFile = new Map();
const dt = profile.timeDeltas;
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const ticks = new Map();
for (let i = 0; i < profile.samples.length; i++) ticks.set(profile.samples[i], (ticks.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
let total = 0;
for (const [id, us] of ticks) {
  const { callFrame: f } = nodes.get(id);
  const file = f.url.replace(/^.*node_modules\//, 'nm/').replace(/^file:\/\/\/work\/main\//, '');
  const key = `${f.functionName || '(anon)'} ${file}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  byFile.set(file || f.functionName, (byFile.get(file || f.functionName) ?? 0) + us);
  total += us;
}
const show = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n).forEach(([k, us]) => console.log(`${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`));
console.log(`total ${(total / 1000).toFixed(0)} ms`);
show(self);
console.log('--- by file');
show(byFile);
