/**
 * What N things hold, from two V8 heap snapshots (before and after making them, e.g. by
 * `bench/heap-sessions.ts --snapshots DIR`): the objects of `after` that `before` did not have,
 * grouped by V8 type and name (constructor, closure name, '(closure context)'...), with count
 * and self size per thing, largest first. `--retainers NAME` also lists what holds the new
 * objects of that name or label (`string`, `object: Object`...): holder and edge name, to
 * follow a chain.
 *
 *   node --import tsx bench/lib/heap-diff.ts DIR/before.heapsnapshot DIR/after.heapsnapshot N [--top 60] [--retainers ClientRequest]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

function load(path: string): Snapshot {
  return JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
}

function ids(s: Snapshot): Set<number> {
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const idAt = fields.indexOf('id');
  const out = new Set<number>();
  for (let i = 0; i < s.nodes.length; i += width) out.add(s.nodes[i + idAt]!);
  return out;
}

const [beforePath, afterPath, countArg] = process.argv.slice(2);
if (!beforePath || !afterPath || !countArg) throw new Error('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot N [--top 60] [--retainers NAME]');
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const N = Number(countArg);
const TOP = Number(arg('top') ?? 60);
const RETAINERS = arg('retainers');

const old = ids(load(beforePath));
const s = load(afterPath);
const { node_fields: nf, node_types: nt, edge_fields: ef, edge_types: et } = s.snapshot.meta;
const W = nf.length;
const EW = ef.length;
const [TYPE, NAME, ID, SIZE, EDGES] = ['type', 'name', 'id', 'self_size', 'edge_count'].map((f) => nf.indexOf(f)) as [number, number, number, number, number];
const [ETYPE, ENAME, ETO] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f)) as [number, number, number];
const nodeTypes = nt[0];
const edgeTypes = et[0];

const label = (i: number): string => {
  const type = nodeTypes[s.nodes[i + TYPE]!]!;
  const name = s.strings[s.nodes[i + NAME]!]!;
  // Strings and numbers by type only; everything else by type and name (constructor, closure).
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number') return type;
  return `${type}: ${name.length > 60 ? `${name.slice(0, 57)}...` : name}`;
};

const groups = new Map<string, { count: number; bytes: number }>();
let total = 0;
for (let i = 0; i < s.nodes.length; i += W) {
  if (old.has(s.nodes[i + ID]!)) continue;
  const key = label(i);
  const g = groups.get(key) ?? { count: 0, bytes: 0 };
  g.count++;
  g.bytes += s.nodes[i + SIZE]!;
  total += s.nodes[i + SIZE]!;
  groups.set(key, g);
}
console.log(`new objects: ${(total / N / 1024).toFixed(2)} KB per thing (N = ${N})`);
console.log('  bytes/N   count/N  type: name');
for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, TOP)) {
  console.log(`${(g.bytes / N).toFixed(0).padStart(9)} ${(g.count / N).toFixed(2).padStart(9)}  ${key}`);
}

if (RETAINERS) {
  // Who points at the new objects named RETAINERS: holder label and edge name, counted.
  const firstEdge: number[] = [];
  for (let i = 0, e = 0; i < s.nodes.length; i += W) {
    firstEdge.push(e);
    e += s.nodes[i + EDGES]! * EW;
  }
  const holders = new Map<string, number>();
  for (let n = 0, i = 0; i < s.nodes.length; i += W, n++) {
    const from = firstEdge[n]!;
    const to = from + s.nodes[i + EDGES]! * EW;
    for (let e = from; e < to; e += EW) {
      const target = s.edges[e + ETO]!;
      if (old.has(s.nodes[target + ID]!)) continue;
      if (s.strings[s.nodes[target + NAME]!] !== RETAINERS && label(target) !== RETAINERS) continue;
      const edgeType = edgeTypes[s.edges[e + ETYPE]!]!;
      const edgeName = edgeType === 'element' || edgeType === 'hidden' ? `[${edgeType}]` : s.strings[s.edges[e + ENAME]!];
      const key = `${label(i)} .${edgeName}`;
      holders.set(key, (holders.get(key) ?? 0) + 1);
    }
  }
  console.log(`\nholders of new "${RETAINERS}":`);
  for (const [key, count] of [...holders].sort((a, b) => b[1] - a[1]).slice(0, TOP)) console.log(`${(count / N).toFixed(2).padStart(9)}  ${key}`);
}
