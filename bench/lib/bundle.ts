/**
 * The browser bundle of the core entry, built the way a web app's bundler would: esbuild,
 * platform browser, ESM, minified, tree-shaken; peers (xstate, axios) external or included.
 * Also reports anything that must never be in a browser bundle: node: builtins and the
 * simulator, gateway or demo sources. Used by bench/bundle.ts and test/bench/bundle.test.ts.
 */
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { relative } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { ROOT_DIR } from './spawn.js';

export const PEERS = ['xstate', 'axios'] as const;
export const CORE_ENTRY = 'src/index.ts';
/** Source folders that are Node-only or tooling, never part of the browser core. */
export const FORBIDDEN_SOURCES = ['src/simulator/', 'src/gateway/', 'src/demo/'] as const;
/** Files under a forbidden folder that are browser code by design (none at the moment). */
export const BROWSER_SAFE: readonly string[] = [];

export interface BundleFigures {
  entry: string;
  withPeers: boolean;
  minifiedBytes: number;
  gzipBytes: number;
  /** Source files in the bundle (repository-relative), largest first, with their minified bytes. */
  inputs: { path: string; bytes: number }[];
  /** node: builtins and forbidden sources that ended up in the bundle (must be empty). */
  forbidden: string[];
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Marks Node builtins external so the build succeeds, and records every import of one. */
function recordBuiltins(found: Set<string>): Plugin {
  return {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (!BUILTINS.has(args.path)) return undefined;
        found.add(`${args.path} (imported by ${relative(ROOT_DIR, args.importer)})`);
        return { path: args.path, external: true };
      });
    },
  };
}

/** `entry` is a repository-relative path, or `{ contents }` for a virtual entry (tree-shaking checks). */
export async function measureBundle(entry: string | { contents: string; name: string }, withPeers: boolean): Promise<BundleFigures> {
  const builtins = new Set<string>();
  const result = await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: ROOT_DIR, sourcefile: entry.name, loader: 'ts' } }),
    absWorkingDir: ROOT_DIR,
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    minify: true,
    treeShaking: true,
    metafile: true,
    logLevel: 'silent',
    external: withPeers ? [] : [...PEERS],
    plugins: [recordBuiltins(builtins)],
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output');
  const meta = Object.values(result.metafile.outputs)[0];
  const inputs = Object.entries(meta?.inputs ?? {})
    .map(([path, info]) => ({ path: relative(ROOT_DIR, `${ROOT_DIR}/${path}`), bytes: info.bytesInOutput }))
    .filter((i) => i.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const forbidden = [
    ...builtins,
    ...inputs
      .filter((i) => FORBIDDEN_SOURCES.some((f) => i.path.startsWith(f)) && !(BROWSER_SAFE as readonly string[]).includes(i.path))
      .map((i) => i.path),
  ];
  return {
    entry: typeof entry === 'string' ? entry : entry.name,
    withPeers,
    minifiedBytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    inputs,
    forbidden,
  };
}

export interface BundleBudget {
  /** Largest accepted gzip size of the core entry without peers, bytes. */
  coreGzipLimitBytes: number;
  /** The size when the limit was recorded, and when. */
  recordedGzipBytes: number;
  recordedAt: string;
  note: string;
}
