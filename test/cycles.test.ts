/**
 * No import cycle in the package's sources (src/ and machines/): layers depend one way, so each
 * module can be read, tested and bundled without the ones that use it.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, specifiersOf } from './support/importGraph.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('import cycles', () => {
  it('src/ and machines/ import each other in one direction only', () => {
    const graph = importGraph(root, ['src', 'machines']);
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/actors/uplink.ts')).toContain('src/actors/catchUp.ts');
    expect(importCycles(graph)).toEqual([]);
  });

  it('finds a cycle through type imports, re-exports and import() types', () => {
    const text = "import type { A } from './a.js';\nexport { B } from './b.js';\ntype C = import('./c.js').C;\nconst d = () => import('./d.js');";
    expect(specifiersOf('x.ts', text)).toEqual(['./a.js', './b.js', './c.js', './d.js']);
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts']],
    ]);
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
  });
});
