/**
 * Smoke tests of the framework examples: type-check with the framework's own checker, build
 * with Vite (programmatically, into a temp dir), then load the build in headless Chromium
 * against the simulator behind the gateway and chat a little.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { buildExample, REPO_ROOT, startDemoServer, type ExampleApp } from '../../examples/shared/demoServer.js';
import { makePng } from '../../examples/shared/png.js';
import { budget } from '../support/timeBudget.js';
import { uploadBarPeaks, watchUploadBars } from '../e2e/uploadBars.js';

const run = promisify(execFile);

/** Runs a checker from node_modules/.bin; rejects with its output when it fails. */
export async function check(bin: string, args: readonly string[]): Promise<string> {
  const file = path.join(REPO_ROOT, 'node_modules', '.bin', bin);
  try {
    const { stdout, stderr } = await run(file, [...args], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${bin} ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

/** `vite build` into a fresh temp dir; checks index.html points at a built script. */
export async function buildInto(app: ExampleApp): Promise<string> {
  const outDir = mkdtempSync(path.join(os.tmpdir(), `aicc-${app}-build-`));
  await buildExample(app, outDir, 'error');
  const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
  const script = /<script type="module" crossorigin src="\/(assets\/[^"]+\.js)"/.exec(html)?.[1];
  expect(script, 'index.html loads a built module').toBeDefined();
  expect(existsSync(path.join(outDir, script as string))).toBe(true);
  expect(readdirSync(path.join(outDir, 'assets')).some((f) => f.endsWith('.css'))).toBe(true);
  // Built from the source tree, not from a stale dist/ of the package.
  expect(readFileSync(path.join(outDir, script as string), 'utf8')).toContain('chatSession');
  return outDir;
}

/**
 * The built widget in Chromium: the robot greets, a message with HTML in it goes out and comes
 * back as text, a picture uploads with its progress bar reaching 100 %, the customer ends the chat, skips the survey, starts a new chat (a new session:
 * a second CONNECT), and the simulator saw it all without a protocol violation.
 */
export async function chatInBrowser(app: ExampleApp, outDir: string): Promise<void> {
  // Imported here, not at the top: finding the browser happens on import and throws when there
  // is none (test/e2e/chromium.ts), which then fails this test with the reason, while the
  // type-check tests of the same file still run.
  const { launchChromium, openPage } = await import('../e2e/chromium.js');
  const { axeViolations } = await import('../e2e/axe.js'); // likewise: fails here when axe-core is not installed
  const demo = await startDemoServer({
    app,
    mode: 'prebuilt',
    outDir,
    simulatorTiming: { longPollWindowMs: 1000, robotReplyDelayMs: 20, agentReplyDelayMs: 20, queueAdvanceMs: 0 },
    log: () => {},
  });
  const browser = await launchChromium({ width: 800, height: 700 });
  browser.context.setDefaultTimeout(budget(15_000)); // per UI step: a hang detector
  try {
    const userId = `smoke-${app}`;
    const { page, problems, requests } = await openPage(browser.context, `${demo.url}?user=${userId}`);
    const phase = (name: string) => page.locator(`[data-testid="chat-status"][data-phase="${name}"]`).waitFor();
    await phase('chatting-robot'); // the view module's phase (connectChat)
    await page.getByText('Hello, I am the AICC virtual assistant').waitFor();
    expect(await axeViolations(page, 'section.chat'), 'axe, chatting with the robot').toEqual([]);

    const text = 'Hi <b>there</b>';
    await page.getByLabel('Message', { exact: true }).fill(text);
    await page.keyboard.press('Enter');
    await page.getByText(`You said: "${text}"`, { exact: false }).waitFor();
    expect(await page.locator('.transcript b').count()).toBe(0);

    // A picture: its upload bar (the view's file.upload.percent) fills to 100 %, then goes.
    await watchUploadBars(page);
    await page.getByLabel('Send a file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(makePng({ width: 120, height: 80 })) });
    await expect
      .poll(() => demo.sim.session(userId)?.transcript.some((m) => m.direction === 'uplink' && m.mediaType === 'IMAGE'))
      .toBe(true);
    expect(await uploadBarPeaks(page)).toEqual({ 'photo.png': 100 });
    await page.locator('.transcript li.mine').filter({ hasText: 'photo.png' }).waitFor();
    expect(await page.locator('progress[data-file]').count()).toBe(0);
    expect(demo.sim.requestsFor('uploadFileStream', userId)).toHaveLength(1);
    // The widget declares the language of its texts.
    expect(await page.getByRole('region', { name: 'Chat' }).getAttribute('lang')).toBe('en-US');

    await page.getByRole('button', { name: 'End', exact: true }).click();
    await phase('survey-robot');
    await page.getByRole('button', { name: 'Skip the survey' }).click();
    await page.locator('[data-testid="ended"][data-end-reason="customer-ended"]').getByText('You ended the chat.').waitFor();

    expect(demo.sim.session(userId)?.endReason).toBe('customer-disconnect');

    // "Start a new chat" remounts the widget: the framework adapter runs a fresh session.
    await page.getByRole('button', { name: 'Start a new chat' }).click();
    await phase('chatting-robot');
    await page.getByText('Hello, I am the AICC virtual assistant').waitFor();
    expect(await page.locator('.transcript').getByText('You said:', { exact: false }).count()).toBe(0); // a fresh transcript
    const connects = demo.sim.requestsFor('send', userId).filter((r) => (r.body as { controlType?: string }).controlType === 'CONNECT');
    expect(connects).toHaveLength(2);
    expect(demo.sim.violations).toEqual([]);
    expect(requests.filter((url) => !url.startsWith(demo.url) && !/^(blob|data):/.test(url))).toEqual([]);
    expect(problems).toEqual([]);
  } finally {
    await browser.close();
    await demo.close();
  }
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
