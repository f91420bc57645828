/**
 * The Chromium that the browser tests (test/e2e, test/examples) drive through playwright-core.
 * Nothing is downloaded at test time (`playwright install` needs network access we do not
 * have). The browser is found once, when this module is imported, in this order:
 *
 *   1. `CHROMIUM_PATH`: a Chromium/Chrome binary; or the word `@sparticuz/chromium` to skip the
 *      system paths and take the npm-shipped browser (what .ci/run does, as on a fresh machine);
 *   2. the system Chromium: /usr/bin/chromium (Debian's `chromium` package), or Google Chrome;
 *   3. the headless Chromium shipped inside the devDependency `@sparticuz/chromium` (Linux x64):
 *      extracted once from its brotli archive into node_modules/.cache/aicc-chromium/<version>/.
 *
 * Every candidate is started once (a launch and a close) before it is accepted. When none
 * works, importing this module throws an error that lists what was tried and how to fix it,
 * so a browser test file fails with the reason instead of being skipped.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { budget } from '../support/timeBudget.js';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** The npm package that ships a headless Chromium (chrome-headless-shell, Linux x64). */
export const NPM_CHROMIUM = '@sparticuz/chromium';
/** Where a system Chromium is looked for, in order. */
export const SYSTEM_CHROMIUM_PATHS = ['/usr/bin/chromium', '/usr/bin/google-chrome-stable', '/usr/bin/google-chrome'];

/** Headless, sandbox off (root in CI), and nothing that phones home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ResolvedChromium {
  executablePath: string;
  /** Where it came from: `CHROMIUM_PATH`, `system` or `@sparticuz/chromium`. */
  source: 'CHROMIUM_PATH' | 'system' | typeof NPM_CHROMIUM;
  /** As the browser reports it, e.g. `143.0.7499.0`. */
  version: string;
}

const FIX =
  'Fix one of: run `npm ci` (installs the devDependency @sparticuz/chromium, a headless Chromium for Linux x64); ' +
  'install the system Chromium (Debian, as root: `apt-get update && apt-get install -y chromium`); ' +
  'or set CHROMIUM_PATH to a Chromium or Chrome binary. See docs/testing.md, "Browser".';

/** Starts the binary once; resolves to its version or rejects with why it does not start. */
async function probe(executablePath: string): Promise<string> {
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: budget(60_000) });
  try {
    return browser.version();
  } finally {
    await browser.close();
  }
}

/** Shared libraries the binary needs and the system lacks (`ldd`), for the error message. */
async function missingLibraries(executablePath: string): Promise<string[]> {
  try {
    const { stdout } = await run('ldd', [executablePath]);
    return stdout
      .split('\n')
      .filter((line) => line.includes('not found'))
      .map((line) => line.trim().split(/\s+/)[0] ?? line.trim());
  } catch {
    return [];
  }
}

/** The version in the package.json above a package's entry file. */
function packageVersion(entry: string): string {
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
    if (name === NPM_CHROMIUM) return version;
  }
  throw new Error(`no package.json of ${NPM_CHROMIUM} above ${entry}`);
}

/**
 * The npm-shipped browser: extracted (by the package's own code, in a child process whose TMPDIR
 * is a fresh directory) next to node_modules, then renamed into place. The rename is atomic, so
 * test files that start at the same time never see a half-written binary; the one that loses
 * the race drops its copy. `npm ci` wipes node_modules and with it the extracted copy.
 */
async function npmChromium(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`${NPM_CHROMIUM} ships a Linux x64 build only; this is ${process.platform}/${process.arch}`);
  }
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(NPM_CHROMIUM);
  } catch {
    throw new Error('not installed (run `npm ci`)');
  }
  const version = packageVersion(entry);
  const cacheRoot = path.join(REPO_ROOT, 'node_modules', '.cache', 'aicc-chromium');
  const target = path.join(cacheRoot, version);
  const executable = path.join(target, 'chromium');
  if (existsSync(executable)) return executable;

  mkdirSync(cacheRoot, { recursive: true });
  // Scratch copies left by a run that was killed while extracting (each one is ~200 MB).
  for (const name of readdirSync(cacheRoot)) {
    const stale = path.join(cacheRoot, name);
    const age = name.includes('.tmp-') ? Date.now() - (statSync(stale, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) : 0;
    if (age > 10 * 60_000) rmSync(stale, { recursive: true, force: true });
  }
  const scratch = mkdtempSync(path.join(cacheRoot, `${version}.tmp-`));
  try {
    const script = `const { default: c } = await import('${NPM_CHROMIUM}'); process.stdout.write(await c.executablePath());`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, TMPDIR: scratch },
    });
    if (stdout !== path.join(scratch, 'chromium')) throw new Error(`${NPM_CHROMIUM} extracted to ${stdout}, not into ${scratch}`);
    try {
      renameSync(scratch, target);
    } catch (error) {
      if (!existsSync(executable)) throw error; // not a lost race
    }
  } catch (error) {
    throw new Error(`extracting ${NPM_CHROMIUM} ${version} failed: ${(error as Error).message}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return executable;
}

/** CHROMIUM_PATH, then the system Chromium, then the npm-shipped one; throws with all reasons. */
export async function resolveChromium(env: NodeJS.ProcessEnv = process.env): Promise<ResolvedChromium> {
  const tried: string[] = [];
  const accept = async (executablePath: string, source: ResolvedChromium['source']): Promise<ResolvedChromium | undefined> => {
    try {
      return { executablePath, source, version: await probe(executablePath) };
    } catch (error) {
      const missing = await missingLibraries(executablePath);
      // Playwright's first line, then what the browser itself printed (its "Browser logs", up to
      // "Call log:"), without the long command line.
      const [first = '', ...rest] = (error as Error).message.split('\n');
      const end = rest.indexOf('Call log:');
      const logs = (end >= 0 ? rest.slice(0, end) : rest).filter((line) => /^\[pid=\d+\]/.test(line));
      const why = [first, ...logs.slice(-4)].join('\n      ');
      tried.push(
        `${source} ${executablePath}: does not start${missing.length > 0 ? ` (missing shared libraries: ${missing.join(', ')}; install the packages that provide them, on Debian e.g. libnss3; \`apt-get install -y chromium\` brings all of them)` : ''}: ${why}`,
      );
      return undefined;
    }
  };
  const fromNpm = async (): Promise<ResolvedChromium | undefined> => {
    try {
      return await accept(await npmChromium(), NPM_CHROMIUM);
    } catch (error) {
      tried.push(`${NPM_CHROMIUM}: ${(error as Error).message}`);
      return undefined;
    }
  };

  const explicit = env['CHROMIUM_PATH'];
  let found: ResolvedChromium | undefined;
  if (explicit === NPM_CHROMIUM) {
    found = await fromNpm();
  } else if (explicit) {
    // An explicit choice is not second-guessed: no fallback when it does not work.
    if (existsSync(explicit)) found = await accept(explicit, 'CHROMIUM_PATH');
    else tried.push(`CHROMIUM_PATH=${explicit}: no such file`);
  } else {
    tried.push('CHROMIUM_PATH: not set');
    for (const candidate of SYSTEM_CHROMIUM_PATHS) {
      if (!existsSync(candidate)) {
        tried.push(`system ${candidate}: absent`);
        continue;
      }
      found = await accept(candidate, 'system');
      if (found) break;
    }
    found ??= await fromNpm();
  }
  if (found) return found;
  throw new Error(`No Chromium for the browser tests (test/e2e, test/examples). Tried:\n  - ${tried.join('\n  - ')}\n${FIX}`);
}

/** The browser every test in this file uses; importing this module fails when there is none. */
export const CHROMIUM: ResolvedChromium = await resolveChromium();
export const CHROMIUM_PATH = CHROMIUM.executablePath;
const shown = CHROMIUM_PATH.startsWith(REPO_ROOT + path.sep) ? path.relative(REPO_ROOT, CHROMIUM_PATH) : CHROMIUM_PATH;
console.log(`browser tests: Chromium ${CHROMIUM.version} from ${CHROMIUM.source} (${shown})`);

/** Fails with instructions (not a cryptic spawn error) when the browser went away since. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium ${CHROMIUM_PATH} (from ${CHROMIUM.source}) is gone since the tests started. ${FIX}`);
  }
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile in a temp dir, removed again by close(). */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  assertChromium();
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'aicc-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface WatchedPage {
  page: Page;
  /** Uncaught page errors and console errors. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/**
 * A new tab that records page errors, console errors and every request. `prepare` runs before
 * the page loads (e.g. `page.addInitScript`).
 */
export async function openPage(context: BrowserContext, url: string, prepare?: (page: Page) => Promise<unknown>): Promise<WatchedPage> {
  const page = await context.newPage();
  await prepare?.(page);
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(url);
  return { page, problems, requests };
}
