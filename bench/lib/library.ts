/**
 * The library under test, as users run it: tsc's output in dist/ (`npm run bench` builds it
 * first), not the sources through tsx. tsx's esbuild transform keeps function names by wrapping
 * every function in `__name(...)`, which costs CPU per closure created and gives each closure its
 * own property array (~3 KB more heap per session) — costs no user of the package pays.
 * `BENCH_LIB=src` measures the sources instead (quick checks while developing).
 */
import { existsSync } from 'node:fs';
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

export const lib: typeof Library = (await import(entry.href)) as typeof Library;
