/**
 * examples/react-starter, the smallest app: shaped like today's `npm create vite -- --template
 * react-ts` (main.tsx renders <App /> under <StrictMode>, App.tsx is the chat), on the package as
 * users install it. It is copied into a temp dir beside a node_modules holding the packed
 * package (test/support/packedPackage.ts: `npm pack` of a fresh build, once per run) and the
 * app's own dependencies, so `aicc-chat-machine` and `aicc-chat-machine/react` resolve through
 * package.json `exports` to dist/, as in a user's app. Then, like the template's `npm run build`,
 * `tsc -b` against the shipped declarations and a production `vite build`; the production build
 * and Vite's development server (React's development build: StrictMode mounts, unmounts and
 * mounts again) each chat in headless Chromium against the simulator — the queue, a picture,
 * the agent survey — with one CONNECT, never two polls in flight and no page error.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildViteApp, EXAMPLES_DIR, startDemoServer, type DemoServer, type DemoServerOptions } from '../../examples/shared/demoServer.js';
import { makePng } from '../../examples/shared/png.js';
import type { Simulator } from '../../src/simulator/index.js';
import { installPackage, PACKAGE_NAME, packedPackage, REPO_ROOT, type InstalledPackage, type PackageJson } from '../support/packedPackage.js';
import { HEAVY_TEST_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../support/timeBudget.js';
import { assertChromium, launchChromium, openPage, type Browser } from './chromium.js';
import { expectOneSession, morePollsAnswered, phase, STEP_MS } from './helpers.js';

const run = promisify(execFile);
const STARTER = join(EXAMPLES_DIR, 'react-starter');
/** Everything of the app but what its build makes (node_modules, dist). */
const APP_FILES = ['index.html', 'package.json', 'vite.config.ts', 'tsconfig.json', 'tsconfig.app.json', 'tsconfig.node.json', 'src'];
const APP_CODE = ['src/main.tsx', 'src/App.tsx'];
/** This repository's sources and its own build: the app must reach none of them. */
const REPO_CODE = ['src', 'machines', 'dist'].map((dir) => join(REPO_ROOT, dir) + sep);
const inRepository = (pathOrUrl: string): boolean => REPO_CODE.some((dir) => pathOrUrl.includes(dir));
const SIMULATOR_TIMING: DemoServerOptions['simulatorTiming'] = { longPollWindowMs: 1000, robotReplyDelayMs: 20, agentReplyDelayMs: 20, queueAdvanceMs: 0 };

/** A second page of the copied app (test only): the same customer's chat twice, through the one client App.tsx creates. */
const TWICE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="UTF-8" /><link rel="icon" href="data:," /><title>twice</title></head>
<body><div id="root"></div><script type="module" src="/src/twice.tsx"></script></body></html>
`;
const TWICE_TSX = `import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import App from './App.tsx'

createRoot(document.getElementById('root')!).render(<StrictMode><App /><App /></StrictMode>)
`;

const work = mkdtempSync(join(tmpdir(), 'aicc-starter-'));
const appDir = join(work, 'app');
let installed: InstalledPackage;
let browser: Browser | undefined;

const readApp = (file: string): string => readFileSync(join(STARTER, file), 'utf8');
const appPackage = (): PackageJson => JSON.parse(readApp('package.json')) as PackageJson;

beforeAll(async () => {
  assertChromium(); // before spending time on the build
  for (const file of APP_FILES) cpSync(join(STARTER, file), join(appDir, file), { recursive: true });
  writeFileSync(join(appDir, 'twice.html'), TWICE_HTML);
  writeFileSync(join(appDir, 'src', 'twice.tsx'), TWICE_TSX);
  const app = appPackage();
  const own = [...Object.keys(app.dependencies), ...Object.keys(app.devDependencies)].filter((name) => name !== PACKAGE_NAME);
  installed = await installPackage(await packedPackage(), appDir, own);
  browser = await launchChromium();
  browser.context.setDefaultTimeout(STEP_MS);
}, HEAVY_TEST_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

/** The whole chat in the page: robot, queue, agent, a picture, end, the agent survey; one session throughout. */
async function chatThroughQueueFileAndSurvey(page: Page, sim: Simulator, userId: string): Promise<void> {
  await phase(page, 'chatting-robot');
  await page.getByTestId('msg-robot').first().getByText('virtual assistant').waitFor();
  await page.getByLabel('Message', { exact: true }).fill('hello');
  await page.keyboard.press('Enter');
  await page.getByTestId('msg-robot').getByText('You said: "hello"', { exact: false }).waitFor();
  await page.getByRole('button', { name: 'Talk to a human' }).click();
  await phase(page, 'queuing');
  await page.getByRole('status', { name: 'Queue' }).getByText('You are number 1 in the queue').waitFor();
  sim.queue.serve(userId);
  await phase(page, 'chatting-agent');
  sim.agent.say(userId, 'Agent here');
  await page.getByTestId('msg-agent').getByText('Agent here').waitFor();
  await page.getByLabel('Send a file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(makePng({ width: 40, height: 30 })) });
  await page.getByTestId('msg-customer').getByText('photo.png').waitFor();
  await expect.poll(() => sim.session(userId)?.transcript.some((m) => m.direction === 'uplink' && m.mediaType === 'IMAGE'), { timeout: STEP_MS }).toBe(true);
  // Two more poll cycles while chatting: a second session of this customer would have polled alongside.
  await morePollsAnswered(sim, userId);
  await page.getByRole('button', { name: 'End chat' }).click();
  await phase(page, 'survey-agent');
  await page.getByRole('button', { name: 'Very satisfied', exact: true }).click();
  await phase(page, 'ended');
  expect(sim.session(userId)?.satisfaction).toMatchObject({ evaluation: '5' });
  expectOneSession(sim, userId);
}

describe('examples/react-starter', () => {
  it('is the Vite React-TS template with a chat: main.tsx under <StrictMode>, App.tsx on the hook and the view, under 40 lines', () => {
    expect(readdirSync(join(STARTER, 'src')).sort()).toEqual(['App.tsx', 'main.tsx']);
    const lines = APP_CODE.map((file) => readApp(file).trimEnd().split('\n').length);
    expect(lines.reduce((a, b) => a + b)).toBeLessThan(40);
    expect(readApp('src/main.tsx')).toMatch(/<StrictMode>\s*<App \/>\s*<\/StrictMode>/);
    const imported = APP_CODE.flatMap((file) => [...readApp(file).matchAll(/^import .* from '([^']+)'$/gm)].map((m) => m[1]));
    expect(new Set(imported)).toEqual(new Set(['react', 'react-dom/client', './App.tsx', PACKAGE_NAME, `${PACKAGE_NAME}/react`]));
  });

  it('depends on this version of the package and on what this repository tests with', () => {
    const app = appPackage();
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
    const { [PACKAGE_NAME]: ours, ...others } = { ...app.dependencies, ...app.devDependencies };
    expect(ours).toBe(`^${root.version}`);
    expect(others).toEqual(Object.fromEntries(Object.keys(others).map((name) => [name, root.devDependencies[name]])));
  });

  it(
    'type-checks against the shipped declarations (tsc -b, the first half of its npm run build)',
    async () => {
      await run(process.execPath, [join(appDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: appDir }).catch((error: { stdout?: string; message: string }) => {
        throw new Error(`tsc -b failed:\n${error.stdout ?? error.message}`);
      });
    },
    HEAVY_TEST_TIMEOUT_MS,
  );

  describe('production build (vite build), in Chromium', () => {
    let demo: DemoServer | undefined;
    afterAll(async () => demo?.close());

    it(
      'is made of the installed package’s dist/, never this repository’s src/; the chat works: queue, a picture, the survey; one CONNECT, never two polls in flight',
      async () => {
        const outDir = join(work, 'dist');
        const chunks = await buildViteApp(appDir, outDir, 'error');
        const ids = chunks.flatMap((chunk) => chunk.moduleIds);
        const pkgDir = realpathSync(installed.pkgDir);
        const fromPackage = ids.filter((id) => id.startsWith(pkgDir + sep));
        // The core entry's barrel (dist/src/index.js) is skipped (sideEffects: false); what App.tsx takes from it is there.
        expect(fromPackage).toContain(join(pkgDir, 'dist', 'src', 'client', 'client.js'));
        expect(fromPackage).toContain(join(pkgDir, 'dist', 'src', 'react', 'index.js'));
        expect(fromPackage.filter((id) => !id.startsWith(join(pkgDir, 'dist') + sep))).toEqual([]);
        expect(ids.filter(inRepository)).toEqual([]);

        demo = await startDemoServer({ app: 'react', mode: 'prebuilt', outDir, simulatorTiming: SIMULATOR_TIMING, log: () => {}, onGatewayLog: () => {} });
        const userId = 'starter-build';
        const { page, problems, requests } = await openPage(browser!.context, `${demo.url}?user=${userId}`);
        expect(requests.some((url) => url.includes('/@vite/client'))).toBe(false);
        await chatThroughQueueFileAndSurvey(page, demo.sim, userId);
        expect(problems).toEqual([]);
      },
      HEAVY_TEST_TIMEOUT_MS,
    );
  });

  describe('Vite development server (React development build: StrictMode double-mounts), in Chromium', () => {
    let demo: DemoServer | undefined;
    beforeAll(async () => {
      demo = await startDemoServer({ app: 'react', root: appDir, mode: 'dev', simulatorTiming: SIMULATOR_TIMING, log: () => {}, onGatewayLog: () => {} });
    }, HEAVY_TEST_TIMEOUT_MS);
    afterAll(async () => demo?.close());

    it(
      'resolves the package to its dist/; the chat works: queue, a picture, the survey; one CONNECT, never two polls in flight',
      async () => {
        const userId = 'starter-dev';
        const { page, problems, requests } = await openPage(browser!.context, `${demo!.url}?user=${userId}`);
        expect(requests.some((url) => url.includes('/@vite/client'))).toBe(true);
        await chatThroughQueueFileAndSurvey(page, demo!.sim, userId);
        expect(problems).toEqual([]);
        // Vite pre-bundled both entries from the installed package's dist/; the page loaded nothing of this repository.
        const depsDir = join(appDir, 'node_modules', '.vite', 'deps');
        const { optimized } = JSON.parse(readFileSync(join(depsDir, '_metadata.json'), 'utf8')) as { optimized: Record<string, { src: string }> };
        const sourceOf = (entry: string): string | undefined => (optimized[entry] ? resolve(depsDir, optimized[entry].src) : undefined);
        expect(sourceOf(PACKAGE_NAME)).toBe(join(installed.pkgDir, 'dist', 'src', 'index.js'));
        expect(sourceOf(`${PACKAGE_NAME}/react`)).toBe(join(installed.pkgDir, 'dist', 'src', 'react', 'index.js'));
        expect(requests.filter(inRepository)).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'the same customer twice on one page (one client): one runs, the other shows ChatSessionConflictError, nothing uncaught',
      async () => {
        const sim = demo!.sim;
        const userId = 'starter-twice';
        const { page, problems } = await openPage(browser!.context, `${demo!.url}twice.html?user=${userId}`);
        await phase(page, 'chatting-robot');
        await page.getByTestId('msg-robot').first().getByText('virtual assistant').waitFor();
        // Both hooks started in the same microtask batch: the second one's start has thrown by
        // now. It is in the hook's result, typed, shown by the app, not an uncaught error.
        await page.getByRole('alert').getByText(`User "${userId}" already has a live chat session`).waitFor();
        expect(problems).toEqual([]);
        await page.getByLabel('Message', { exact: true }).fill('still one session');
        await page.keyboard.press('Enter');
        await page.getByTestId('msg-robot').getByText('You said: "still one session"', { exact: false }).waitFor();
        await morePollsAnswered(sim, userId);
        expectOneSession(sim, userId);
        expect(problems).toEqual([]);
      },
      TEST_TIMEOUT_MS,
    );
  });
});
