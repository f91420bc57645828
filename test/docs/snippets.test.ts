/**
 * Every TypeScript code block in README.md and docs/ is type-checked against the real sources,
 * so a renamed option or event breaks the build instead of silently rotting in the docs.
 * Blocks see the package entries under their published names and the placeholders declared
 * in snippet-globals.d.ts (the host's own functions such as `render`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHECKED_LANGUAGES = new Set(['ts', 'typescript', 'tsx']);

interface Snippet {
  source: string;
  line: number;
  language: string;
  code: string;
}

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

export function extractSnippets(source: string, text: string): Snippet[] {
  const snippets: Snippet[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i] ?? '');
    if (!open) continue;
    const language = open[1] ?? '';
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end] ?? '')) end++;
    if (CHECKED_LANGUAGES.has(language)) snippets.push({ source, line: start + 1, language, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return snippets;
}

const files = [join(root, 'README.md'), ...markdownFiles(join(root, 'docs'))];
const snippets = files.flatMap((file) => extractSnippets(relative(root, file), readFileSync(file, 'utf8')));

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  jsx: ts.JsxEmit.ReactJSX,
  baseUrl: root,
  paths: {
    'aicc-chat-machine': ['src/index.ts'],
    'aicc-chat-machine/client': ['src/client/index.ts'],
    'aicc-chat-machine/simulator': ['src/simulator/index.ts'],
    'aicc-chat-machine/gateway': ['src/gateway/index.ts'],
    'aicc-chat-machine/tabs': ['src/tabs/index.ts'],
    'aicc-chat-machine/react': ['src/react/index.ts'],
    'aicc-chat-machine/vue': ['src/vue/index.ts'],
    'aicc-chat-machine/svelte': ['src/svelte/index.ts'],
    'aicc-chat-machine/locales/zh_CN': ['src/locales/zh_CN.ts'],
    'aicc-chat-machine/transport-node': ['src/client/transports/node.ts'],
    'aicc-chat-machine/transport-net': ['src/client/transports/net.ts'],
    'aicc-chat-machine/transport-fetch': ['src/client/transports/fetch.ts'],
  },
};

function virtualName(snippet: Snippet, index: number): string {
  const extension = snippet.language === 'tsx' ? 'tsx' : 'ts';
  return join(root, 'test/docs/.snippets', `${snippet.source.replace(/[^\w]/g, '_')}_${index}.${extension}`);
}

function typeCheck(all: Snippet[]): Map<Snippet, string[]> {
  const virtual = new Map<string, { snippet: Snippet; text: string }>();
  all.forEach((snippet, index) => {
    // `export {}` keeps each block its own module, so top-level names never collide.
    virtual.set(virtualName(snippet, index), { snippet, text: `${snippet.code}\nexport {};\n` });
  });
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => virtual.get(name)?.text ?? readFile(name);
  host.fileExists = (name) => virtual.has(name) || fileExists(name);
  host.getSourceFile = (name, language, onError, create) => {
    const entry = virtual.get(name);
    return entry ? ts.createSourceFile(name, entry.text, language) : getSourceFile(name, language, onError, create);
  };
  const globals = join(root, 'test/docs/snippet-globals.d.ts');
  const program = ts.createProgram([...virtual.keys(), globals], options, host);
  const problems = new Map<Snippet, string[]>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const name = diagnostic.file?.fileName ?? '';
    const entry = virtual.get(name);
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (!entry) {
      // A broken source file or globals file: report it against every snippet, loudly.
      problems.set(all[0]!, [...(problems.get(all[0]!) ?? []), `${relative(root, name)}: ${message}`]);
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    const list = problems.get(entry.snippet) ?? [];
    list.push(`${entry.snippet.source}:${entry.snippet.line + line}: ${message}`);
    problems.set(entry.snippet, list);
  }
  return problems;
}

describe('code blocks in README.md and docs/', () => {
  it('finds the blocks to check', () => {
    expect(snippets.length).toBeGreaterThan(5);
    expect(snippets.some((s) => s.source === 'README.md')).toBe(true);
  });

  // A TypeScript program over the sources: a heavy test (21 s inside a loaded `npm test`).
  it('every TypeScript block type-checks against the sources', () => {
    const problems = typeCheck(snippets);
    expect([...problems.values()].flat()).toEqual([]);
  }, HEAVY_TEST_TIMEOUT_MS);
});
