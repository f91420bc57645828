/**
 * The library under test, as users run it: tsc's output in dist/ (`npm run bench` builds it
 * first), not the sources through tsx. tsx's esbuild transform keeps function names by wrapping
 * every function in `__name(...)`, which costs CPU per closure created and gives each closure its
 * own property array (~3 KB more heap per session) — costs no user of the package pays.
 * `BENCH_LIB=src` measures the sources instead (quick checks while developing).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Library from '../../src/index.js';

export const LIBRARY_SOURCE: 'dist' | 'src' = process.env.BENCH_LIB === 'src' ? 'src' : 'dist';

/**
 * Where the library's files are: the sources, dist/, or a build of one's own elsewhere
 * (`BENCH_DIST=/tmp/build`, tsc output of tsconfig.build.json) so a benchmark does not rebuild
 * the dist/ other work on the machine may be using.
 */
const root = LIBRARY_SOURCE === 'src' ? new URL('../../', import.meta.url) : process.env.BENCH_DIST ? new URL(`file://${process.env.BENCH_DIST.replace(/\/*$/, '/')}`) : new URL('../../dist/', import.meta.url);
/** A module of the library, from the same place as `lib` (e.g. 'src/client/transports/node.js'). */
export const libraryModule = (path: string): URL => new URL(path, root);

const entry = libraryModule('src/index.js');
if (LIBRARY_SOURCE === 'dist' && !existsSync(fileURLToPath(entry))) {
  throw new Error('bench: dist/ is missing; run `npm run build` first (npm run bench does), or set BENCH_LIB=src');
}
if (LIBRARY_SOURCE === 'dist' && process.env.BENCH_DIST && !isModuleScope(fileURLToPath(root))) {
  // Without "type": "module" above it, Node reads the build's .js as CommonJS and tsx compiles
  // them again (to CommonJS, with keepNames): not the build any more.
  throw new Error(`bench: BENCH_DIST=${process.env.BENCH_DIST} has no package.json with "type": "module" in or above it; add one (echo '{"type":"module"}' > <dir>/package.json) and a node_modules link next to it`);
}

/** Whether the nearest package.json at or above `dir` says "type": "module", as Node decides. */
function isModuleScope(dir: string): boolean {
  for (let at = resolve(dir); ; at = dirname(at)) {
    const manifest = join(at, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module';
    if (dirname(at) === at) return false;
  }
}

export const lib: typeof Library = (await import(entry.href)) as typeof Library;
