/**
 * The package as users get it: `npm pack` of a fresh build (a copy of the project in a temp dir,
 * built with scripts/build.ts, so a stale dist/ of the working tree cannot hide a problem), then
 * laid out as npm installs it into an app (node_modules/aicc-chat-machine, its dependencies,
 * node_modules/.bin).
 *
 * Building and packing costs half a minute on a loaded machine, so it happens once per test run
 * and project content: the first test file that asks builds under a lock in the run's directory
 * (packageSetup.ts, vitest's globalSetup), the others wait for its result. Each caller then
 * installs the tarball into its own app directory (cheap), so no test sees another's node_modules.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { emitBuild } from '../../scripts/build.js';
import { PACK_RUN_DIR } from './packageSetup.js';
import { eventually, HEAVY_TEST_TIMEOUT_MS, TIME_SCALE } from './timeBudget.js';

const run = promisify(execFile);
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PACKAGE_NAME = 'aicc-chat-machine';


/** What the build reads: the sources and the files package.json ships besides dist/. */
const PROJECT_FILES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'CHANGELOG.md', 'src', 'machines'];

export interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

export interface PackedPackage {
  /** The .tgz `npm pack` wrote. */
  tarball: string;
  /** Every path in it, relative to the package root (`npm pack --json`'s list). */
  files: readonly string[];
}

export interface InstalledPackage {
  /** The app's node_modules. */
  nodeModules: string;
  /** node_modules/aicc-chat-machine. */
  pkgDir: string;
  /** Its package.json. */
  pkg: PackageJson;
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

/** Hash of what the build reads: a watch-mode rerun after an edit packs again. */
function projectHash(): string {
  const hash = createHash('sha256');
  for (const file of PROJECT_FILES.flatMap((name) => filesUnder(join(REPO_ROOT, name)))) {
    hash.update(file).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function buildAndPack(dir: string): Promise<PackedPackage> {
  const project = join(dir, 'project');
  for (const name of PROJECT_FILES) cpSync(join(REPO_ROOT, name), join(project, name), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules'), 'dir');
  const errors = emitBuild(undefined, project).filter((d) => d.category === 1);
  if (errors.length > 0) throw new Error(`the build failed:\n${errors.map((d) => String(d.messageText)).join('\n')}`);
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: project, maxBuffer: 64 * 1024 * 1024 });
  const [report] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  return { tarball: join(dir, report.filename), files: report.files.map((f) => f.path) };
}

let packed: Promise<PackedPackage> | undefined;

/**
 * The packed package of the project as it is now, built at most once per run (across test files
 * and their workers). Needs the run directory vitest.config.ts's globalSetup provides.
 */
export function packedPackage(): Promise<PackedPackage> {
  packed ??= (async () => {
    const runDir = inject(PACK_RUN_DIR);
    if (!runDir) throw new Error(`no ${PACK_RUN_DIR}: run the tests through vitest.config.ts (its globalSetup test/support/packageSetup.ts provides it)`);
    const dir = join(runDir, projectHash());
    const result = join(dir, 'packed.json');
    const failure = join(dir, 'failed.txt');
    let builder = true;
    try {
      mkdirSync(dir); // atomic: exactly one worker gets to build
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      builder = false;
    }
    if (builder) {
      try {
        const value = await buildAndPack(dir);
        writeFileSync(`${result}.tmp`, JSON.stringify(value));
        renameSync(`${result}.tmp`, result); // the waiters never read half a file
        return value;
      } catch (error) {
        writeFileSync(failure, error instanceof Error ? (error.stack ?? error.message) : String(error));
        throw error;
      }
    }
    // Another test file builds: its result (or its failure) is the event awaited, within a heavy test's budget.
    await eventually(() => existsSync(result) || existsSync(failure), {
      what: `the package build and pack of another test file (${dir})`,
      idleMs: HEAVY_TEST_TIMEOUT_MS / TIME_SCALE,
      intervalMs: 100,
    });
    if (existsSync(failure)) throw new Error(`the package build and pack failed in another test file:\n${readFileSync(failure, 'utf8')}`);
    return JSON.parse(readFileSync(result, 'utf8')) as PackedPackage;
  })();
  return packed;
}

/**
 * Lays the package out in `appDir/node_modules` as npm installs it: the tarball extracted into
 * node_modules/aicc-chat-machine, its dependencies and required peers beside it (this
 * repository's installed copies, linked), its commands in node_modules/.bin, plus `alongside`:
 * the app's own dependencies (e.g. react, vite), linked the same way.
 */
export async function installPackage(packed: PackedPackage, appDir: string, alongside: readonly string[] = []): Promise<InstalledPackage> {
  const nodeModules = join(appDir, 'node_modules');
  const pkgDir = join(nodeModules, PACKAGE_NAME);
  mkdirSync(pkgDir, { recursive: true });
  await run('tar', ['-xzf', packed.tarball, '-C', pkgDir, '--strip-components=1']);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as PackageJson;
  pkg.bin ??= {};
  // npm installs the dependencies and the required peers (xstate); the optional peers only when the app asks.
  const required = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies).filter((name) => !pkg.peerDependenciesMeta[name]?.optional)];
  for (const name of new Set([...required, ...alongside])) {
    const source = join(REPO_ROOT, 'node_modules', name);
    if (!existsSync(source)) throw new Error(`${name} is not installed in this repository (add it to devDependencies)`);
    mkdirSync(dirname(join(nodeModules, name)), { recursive: true }); // @scope/
    symlinkSync(source, join(nodeModules, name), 'dir');
  }
  mkdirSync(join(nodeModules, '.bin'));
  for (const [command, target] of Object.entries(pkg.bin)) {
    symlinkSync(join('..', PACKAGE_NAME, target), join(nodeModules, '.bin', command));
    chmodSync(join(pkgDir, target), 0o755); // as npm install does for a bin (the tarball keeps 0644)
  }
  return { nodeModules, pkgDir, pkg };
}
