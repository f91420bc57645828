/**
 * The published tarball, as `npm pack` makes it from a fresh build (test/support/packedPackage.ts,
 * once per run): it ships what users can reach and nothing they cannot. Then the package is laid
 * out as npm installs it (node_modules/aicc-chat-machine, its dependencies, node_modules/.bin)
 * and its commands are run from there.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../src/client/protocol.js';
import { installPackage, packedPackage, type PackageJson } from '../support/packedPackage.js';
import { HEAVY_TEST_TIMEOUT_MS, TEST_TIMEOUT_MS, budget } from '../support/timeBudget.js';

const run = promisify(execFile);

const work = mkdtempSync(join(tmpdir(), 'aicc-pack-'));
const installed = join(work, 'app', 'node_modules');
const pkgDir = join(installed, 'aicc-chat-machine');
let files: Set<string>;
let pkg: PackageJson;

const read = (path: string): string => readFileSync(join(pkgDir, path), 'utf8');
const entryTargets = (): string[] =>
  Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : [target.types, target.default]));
const normal = (path: string): string => posix.normalize(path);

/** Relative module specifiers of a built JS file (static and dynamic imports, re-exports). */
function relativeImports(file: string): string[] {
  const specifiers = [...read(file).matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] as string);
  return specifiers.map((specifier) => normal(posix.join(posix.dirname(file), specifier)));
}

beforeAll(async () => {
  const packed = await packedPackage();
  files = new Set(packed.files);
  ({ pkg } = await installPackage(packed, join(work, 'app')));
}, HEAVY_TEST_TIMEOUT_MS);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships every entry of package.json exports and bin', () => {
    const missing = [...entryTargets(), ...Object.values(pkg.bin)].map(normal).filter((path) => !files.has(path));
    expect(missing).toEqual([]);
    expect(Object.keys(pkg.bin).sort()).toEqual(['aicc-chat-machine-demo', 'aicc-chat-machine-simulator']);
  });

  it('ships no built module a user cannot reach from an entry or a command', () => {
    const reachable = new Set<string>();
    const queue = [...entryTargets().filter((path) => path.endsWith('.js')), ...Object.values(pkg.bin)].map(normal);
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (reachable.has(file)) continue;
      expect(files.has(file), `${file} is imported but not shipped`).toBe(true);
      reachable.add(file);
      queue.push(...relativeImports(file));
    }
    // A types-only module (client/types.ts) compiles to an empty module nothing imports at run time.
    // Its doc comment may stay in front (src/view/step.ts).
    const isTypesOnly = (path: string): boolean =>
      /^export \{\};\s*(\/\/# sourceMappingURL=\S+\s*)?$/.test(read(path).replace(/^\s*(\/\*[\s\S]*?\*\/\s*)*/, ''));
    const shippedModules = [...files].filter((path) => path.endsWith('.js') && !isTypesOnly(path));
    expect(shippedModules.filter((path) => !reachable.has(path))).toEqual([]);
  });

  it('ships the sources of every source map (and no map without its module)', () => {
    const maps = [...files].filter((path) => path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const map of maps) {
      if (!files.has(map.slice(0, -'.map'.length))) problems.push(`${map}: no ${map.slice(0, -'.map'.length)}`);
      const { sources } = JSON.parse(read(map)) as { sources: string[] };
      for (const source of sources) {
        const path = normal(posix.join(posix.dirname(map), source));
        if (!files.has(path)) problems.push(`${map}: source ${path} not shipped`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('ships no tests, fixtures or repository tooling', () => {
    const allowed = /^(package\.json|README\.md|CHANGELOG\.md|(dist\/)?(src|machines)\/.+)$/;
    expect([...files].filter((path) => !allowed.test(path) || /\.(test|spec)\./.test(path))).toEqual([]);
  });

  it('each command is an executable node script', () => {
    for (const target of Object.values(pkg.bin)) expect(read(target).split('\n')[0], target).toBe('#!/usr/bin/env node');
  });
});

describe('the installed commands', () => {
  it(
    'npx aicc-chat-machine-demo: a scripted chat against the embedded simulator, exit code 0',
    async () => {
      const { stdout } = await run(join(installed, '.bin', 'aicc-chat-machine-demo'), ['--script', '--no-color', '--pace-ms', '0'], {
        cwd: dirname(installed),
        timeout: budget(60_000),
      });
      const lines = stdout.trim().split('\n');
      expect(lines.at(-2)).toMatch(/^ended: customer-ended/);
      expect(lines.at(-1)).toMatch(/protocol violations 0/);
    },
    HEAVY_TEST_TIMEOUT_MS,
  );

  it(
    'npx aicc-chat-machine-simulator: listens, then closes on SIGINT',
    async () => {
      const child = spawn(join(installed, '.bin', 'aicc-chat-machine-simulator'), ['--port', '0'], { cwd: dirname(installed) });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', (error) => (output += String(error)));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await expect.poll(() => output, { timeout: budget(20_000) }).toMatch(/listening on http:\/\/\S+/);
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1] as string;
      const answer = await fetch(`${url}${API_PATHS.tokenByAkSk}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(answer.status).toBeLessThan(500); // a live simulator answers (it refuses the empty credentials)
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );
});
