/**
 * The browser bundle, built the way a web app's production build would: esbuild, platform
 * browser, ESM, minified, tree-shaken, `process.env.NODE_ENV` "production", and the package's
 * code as `npm run build` publishes it (scripts/build.ts: no statechart descriptions). Peers
 * (xstate, axios) external or included. Also reports anything that must never be in a browser
 * bundle: node: builtins and the simulator, gateway or demo sources. Used by bench/bundle.ts and
 * the bundle tests (test/bench/bundle.test.ts and others).
 */
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { gzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { build, transform, type Plugin } from 'esbuild';
import ts from 'typescript';
import { BUILD_TRANSFORMERS } from '../../scripts/build.js';
import { ROOT_DIR } from './spawn.js';

export const PEERS = ['xstate', 'axios'] as const;
export const CORE_ENTRY = 'src/index.ts';
/** The transports' own entries (package.json "exports": ./transport-fetch, ./transport-node). */
export const FETCH_TRANSPORT_ENTRY = 'src/client/transports/fetch.ts';
export const NODE_TRANSPORT_ENTRY = 'src/client/transports/node.ts';
/** The whole core entry and the fetch transport: what the smallest-bundle page loads (with xstate when built with peers). */
export const ALL_IN_FETCH = { contents: "export * from './src/index.js'; export { fetchTransport } from './src/client/transports/fetch.js';", name: 'core + fetchTransport, with xstate' };
/** The whole core entry with its default transport, axios. */
export const ALL_IN_AXIOS = { contents: "export * from './src/index.js';", name: 'core (axios default), with xstate + axios' };
/** Source folders that are Node-only or tooling, never part of the browser core. */
export const FORBIDDEN_SOURCES = ['src/simulator/', 'src/gateway/', 'src/demo/'] as const;
/** Files under a forbidden folder that are browser code by design (none at the moment). */
export const BROWSER_SAFE: readonly string[] = [];

/** One measured import set: what a page's code imports from the package. */
export interface BundleEntry {
  name: string;
  /** The page's imports (an ES module, resolved from the repository root). */
  contents: string;
  /** xstate and axios bundled too (else external, as peers a page has anyway). */
  withPeers: boolean;
}

const SESSION = "export { createChatSession } from './src/index.js';";
const FETCH = "export { fetchTransport } from './src/client/transports/fetch.js';";

/**
 * What bench/bundle.ts measures and test/bench/bundle.test.ts holds to bench/bundle-budget.json,
 * each as a code-splitting bundler emits it (the default axios transport is a lazy chunk).
 * - `core`: issue #16's core, the machine, its actors and the client, without a transport or xstate;
 * - `session`: an app that imports only createChatSession (peers external);
 * - `app`: a chat UI: createChatSession and the view module's connectChat (peers external);
 * - `index`: everything the core entry exports, as if nothing were tree-shaken;
 * - `allInFetch` / `allInAxios`: the whole core entry with xstate, and the fetch transport or axios;
 * - `appFetch`: the chat UI with xstate and the fetch transport, what such a page loads.
 */
export const BUNDLE_ENTRIES = {
  core: {
    name: 'core: `chatSessionMachine` + `createChatActors` + `createAiccClient`',
    contents: "export { chatSessionMachine, createChatActors, createAiccClient } from './src/index.js';",
    withPeers: false,
  },
  session: { name: '`createChatSession` only', contents: SESSION, withPeers: false },
  app: { name: '`createChatSession` + `connectChat`', contents: `${SESSION} export { connectChat } from './src/index.js';`, withPeers: false },
  index: { name: 'everything `src/index.ts` exports', contents: "export * from './src/index.js';", withPeers: false },
  allInFetch: { name: 'all-in: everything + `fetchTransport` + xstate', contents: ALL_IN_FETCH.contents, withPeers: true },
  allInAxios: { name: 'all-in: everything + xstate + axios (default transport)', contents: ALL_IN_AXIOS.contents, withPeers: true },
  appFetch: { name: '`createChatSession` + `connectChat` + `fetchTransport` + xstate', contents: `${SESSION} export { connectChat } from './src/index.js'; ${FETCH}`, withPeers: true },
} as const satisfies Record<string, BundleEntry>;

export type BundleEntryKey = keyof typeof BUNDLE_ENTRIES;

export interface BundleFigures {
  entry: string;
  withPeers: boolean;
  minifiedBytes: number;
  gzipBytes: number;
  /** Source files in the bundle (repository-relative), largest first, with their minified bytes. */
  inputs: { path: string; bytes: number }[];
  /** node: builtins and forbidden sources that ended up in the bundle (must be empty). */
  forbidden: string[];
  /** The bundle itself (an ES module). */
  text: string;
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

/** A virtual entry module for builds that need real entry points (code splitting). */
function virtualEntry(contents: string): Plugin {
  return {
    name: 'virtual-entry',
    setup(b) {
      b.onResolve({ filter: /^virtual:entry$/ }, () => ({ path: 'entry', namespace: 'virtual' }));
      b.onLoad({ filter: /.*/, namespace: 'virtual' }, () => ({ contents, resolveDir: ROOT_DIR, loader: 'ts' }));
    },
  };
}

/**
 * The package's TypeScript as the published build emits it: scripts/build.ts's transforms (no
 * statechart descriptions) on every source file that defines a machine; the rest loads as is.
 */
function asPublished(): Plugin {
  return {
    name: 'as-published',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (!source.includes('createMachine(')) return undefined;
        const compilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true };
        const { outputText } = ts.transpileModule(source, { fileName: args.path, compilerOptions, transformers: BUILD_TRANSFORMERS });
        return { contents: outputText, loader: 'js' };
      });
    },
  };
}

/** The esbuild options of every measurement: a web app's production build, minified, in memory. */
function browserBuild(withPeers: boolean) {
  return {
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
    define: { 'process.env.NODE_ENV': '"production"' },
    external: withPeers ? [] : [...PEERS],
  } as const;
}

/** `entry` is a repository-relative path, or `{ contents }` for a virtual entry (tree-shaking checks). */
export async function measureBundle(entry: string | { contents: string; name: string }, withPeers: boolean): Promise<BundleFigures> {
  const builtins = new Set<string>();
  const result = await build({
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.contents, resolveDir: ROOT_DIR, sourcefile: entry.name, loader: 'ts' } }),
    ...browserBuild(withPeers),
    plugins: [recordBuiltins(builtins), asPublished()],
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
    text: output.text,
  };
}

export interface BundleBudget {
  note: string;
  recordedAt: string;
  /** Issue #16's goals, gzip bytes up front (reported, not enforced). */
  targets: Partial<Record<BundleEntryKey, number>>;
  /** Per entry: the largest accepted gzip size of what loads up front, and the size when it was recorded. */
  entries: Record<BundleEntryKey, { limitGzipBytes: number; recordedGzipBytes: number }>;
}

export interface SplitFigures {
  entry: string;
  withPeers: boolean;
  /** What the page loads up front: the entry chunk and the chunks it imports statically. */
  initial: ChunkFigures;
  /** What `import()` would load later (the default axios transport, the rarely used client APIs), only if used. */
  lazy: ChunkFigures;
  /** The same, per chunk a dynamic `import()` names (with what it imports that is not up front). */
  lazyParts: ChunkFigures[];
  /** node: builtins and forbidden sources in either part (must be empty). */
  forbidden: string[];
}

export interface ChunkFigures {
  chunks: number;
  minifiedBytes: number;
  /** Each chunk gzipped on its own (as a server sends them), summed. */
  gzipBytes: number;
  /** Source files in these chunks (repository-relative), largest first. */
  inputs: { path: string; bytes: number }[];
}

/**
 * The bundle as a code-splitting bundler (Vite, Rollup, webpack, esbuild --splitting) emits it:
 * what loads up front versus what a dynamic `import()` loads only when reached. The default
 * axios transport is such an import, so an app whose clients all bring a transport never loads it.
 */
export async function measureSplit(
  entry: { contents: string; name: string },
  withPeers: boolean,
  /** `sources`: the TypeScript as written, statechart descriptions included (what they cost). */
  code: 'published' | 'sources' = 'published',
): Promise<SplitFigures> {
  const builtins = new Set<string>();
  const result = await build({
    entryPoints: ['virtual:entry'],
    ...browserBuild(withPeers),
    splitting: true,
    outdir: join(ROOT_DIR, '.bundle-split'),
    plugins: [virtualEntry(entry.contents), recordBuiltins(builtins), ...(code === 'published' ? [asPublished()] : [])],
  });
  const outputs = result.metafile.outputs;
  const files = new Map(result.outputFiles.map((f) => [relative(ROOT_DIR, f.path), f.contents]));
  const entryChunk = Object.keys(outputs).find((path) => outputs[path]?.entryPoint !== undefined && path.endsWith('.js'));
  if (!entryChunk) throw new Error('esbuild produced no entry chunk');
  /** Chunks reachable from `roots` through static imports. */
  const closure = (roots: string[], seen = new Set<string>()): Set<string> => {
    const stack = [...roots];
    while (stack.length > 0) {
      const path = stack.pop()!;
      if (seen.has(path) || !outputs[path]) continue;
      seen.add(path);
      for (const i of outputs[path]!.imports) if (i.kind === 'import-statement' && !i.external) stack.push(i.path);
    }
    return seen;
  };
  const initial = closure([entryChunk]);
  const dynamic = [...initial].flatMap((path) => outputs[path]!.imports.filter((i) => i.kind === 'dynamic-import' && !i.external).map((i) => i.path));
  const lazy = new Set([...closure(dynamic)].filter((path) => !initial.has(path)));
  const figures = (chunks: Set<string>): ChunkFigures => {
    const inputs = new Map<string, number>();
    let minifiedBytes = 0;
    let gzipBytes = 0;
    for (const path of chunks) {
      const contents = files.get(path);
      if (!contents) continue;
      minifiedBytes += contents.byteLength;
      gzipBytes += gzipSync(contents, { level: 9 }).byteLength;
      for (const [input, info] of Object.entries(outputs[path]!.inputs)) {
        if (info.bytesInOutput > 0) inputs.set(input, (inputs.get(input) ?? 0) + info.bytesInOutput);
      }
    }
    return {
      chunks: chunks.size,
      minifiedBytes,
      gzipBytes,
      inputs: [...inputs].map(([path, bytes]) => ({ path: relative(ROOT_DIR, `${ROOT_DIR}/${path}`), bytes })).sort((a, b) => b.bytes - a.bytes),
    };
  };
  const lazyParts = [...new Set(dynamic)].map((root) => figures(new Set([...closure([root])].filter((path) => !initial.has(path)))));
  const parts = { initial: figures(initial), lazy: figures(lazy), lazyParts };
  const forbidden = [
    ...builtins,
    ...[...parts.initial.inputs, ...parts.lazy.inputs]
      .filter((i) => FORBIDDEN_SOURCES.some((f) => i.path.startsWith(f)) && !(BROWSER_SAFE as readonly string[]).includes(i.path))
      .map((i) => i.path),
  ];
  return { entry: entry.name, withPeers, ...parts, forbidden };
}

/** The part of the package (or the peer) a bundled file belongs to. */
export function groupOf(path: string): string {
  if (path.startsWith('node_modules/')) return path.split('/')[1]!;
  if (path === 'machines/chatSession.machine.ts') return 'machine config + setup';
  if (path.startsWith('machines/')) return 'machine logic';
  if (path.startsWith('src/client/transports/')) return 'transports';
  return path.split('/').slice(0, 2).join('/');
}

export interface ShareFigures {
  name: string;
  minifiedBytes: number;
  /**
   * What this part adds to the gzip size: the gzip of the whole minus the gzip without it
   * (approximate: parts compress against each other, so the shares do not add up exactly).
   */
  gzipBytes: number;
}

export interface Breakdown {
  /** The up-front part of the entry, gzipped, as this breakdown rebuilt it (close to the measured one). */
  gzipBytes: number;
  groups: ShareFigures[];
  modules: ShareFigures[];
}

/**
 * Bytes per source module and per group (groupOf) in what `entry` loads up front. The bundle is
 * rebuilt with whitespace kept, so esbuild marks each module's code (`// path`); each module's
 * code is then minified on its own, and a part's gzip share is what the gzip loses without it.
 */
export async function breakdown(entry: BundleEntry): Promise<Breakdown> {
  const split = await measureSplit(entry, entry.withPeers);
  const upFront = new Set(split.initial.inputs.map((i) => i.path));
  const result = await build({
    stdin: { contents: entry.contents, resolveDir: ROOT_DIR, sourcefile: entry.name, loader: 'ts' },
    ...browserBuild(entry.withPeers),
    minify: false,
    minifySyntax: true,
    minifyIdentifiers: true,
    plugins: [recordBuiltins(new Set()), asPublished()],
  });
  const text = result.outputFiles[0]?.text ?? '';
  const parts = text.split(/^\/\/ (\S+)$/m);
  const pieces: { path: string; code: string }[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const path = parts[i]!;
    if (!upFront.has(path)) continue; // the lazy axios transport: not loaded up front
    const code = parts[i + 1]!;
    const minified = await transform(code, { minifyWhitespace: true, loader: 'js' }).then((r) => r.code, () => code);
    pieces.push({ path, code: minified });
  }
  const gz = (keep: (path: string) => boolean) => gzipSync(pieces.filter((p) => keep(p.path)).map((p) => p.code).join(''), { level: 9 }).byteLength;
  const total = gz(() => true);
  const share = (name: string, member: (path: string) => boolean): ShareFigures => ({
    name,
    minifiedBytes: pieces.filter((p) => member(p.path)).reduce((sum, p) => sum + p.code.length, 0),
    gzipBytes: total - gz((path) => !member(path)),
  });
  const byBytes = (a: ShareFigures, b: ShareFigures) => b.gzipBytes - a.gzipBytes || b.minifiedBytes - a.minifiedBytes;
  const paths = [...new Set(pieces.map((p) => p.path))];
  const groups = [...new Set(paths.map(groupOf))];
  return {
    gzipBytes: total,
    groups: groups.map((g) => share(g, (path) => groupOf(path) === g)).sort(byBytes),
    modules: paths.map((path) => share(path, (p) => p === path)).sort(byBytes),
  };
}
