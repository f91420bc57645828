/**
 * The system Chromium, driven by playwright-core (no browser download: `playwright install`
 * needs the network). Used by the e2e test and the example smoke tests.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

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

/** Fails with instructions (not a cryptic spawn error) when there is no Chromium. */
export function assertChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}. The browser tests drive the system Chromium: ` +
        `install it with "apt-get update && apt-get install -y chromium" (Debian; .ci/run does), ` +
        `or point CHROMIUM_PATH at one.`,
    );
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

/** A new tab that records page errors, console errors and every request. */
export async function openPage(context: BrowserContext, url: string): Promise<WatchedPage> {
  const page = await context.newPage();
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
