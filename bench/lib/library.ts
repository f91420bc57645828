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

const entry = new URL(LIBRARY_SOURCE === 'src' ? '../../src/index.js' : '../../dist/src/index.js', import.meta.url);
if (LIBRARY_SOURCE === 'dist' && !existsSync(fileURLToPath(entry))) {
  throw new Error('bench: dist/ is missing; run `npm run build` first (npm run bench does), or set BENCH_LIB=src');
}

export const lib: typeof Library = (await import(entry.href)) as typeof Library;
