/**
 * What the browser tests of the React example share: the demo server (a production build of
 * examples/react behind the gateway, against the simulator) and a headless Chromium, started
 * together and closed together; and waits on what the page shows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startDemoServer, type DemoServerOptions, type DemoServer } from '../../examples/shared/demoServer.js';
import type { GatewayLogEntry } from '../../src/gateway/index.js';
import { assertChromium, launchChromium, type Browser } from './chromium.js';
import { budget } from '../support/timeBudget.js';

/** Per UI step: a hang detector, generous (the CI machine has two cores and runs other test files alongside), scaled. */
export const STEP_MS = budget(15_000);

export interface ReactDemo {
  demo: DemoServer;
  browser: Browser;
  /** Everything the gateway logged. */
  gatewayLog: GatewayLogEntry[];
  close(): Promise<void>;
}

/**
 * Builds examples/react (Vite, production, into a temp dir), serves it with the gateway and the
 * simulator on 127.0.0.1 (a secure context: the page has Web Locks), and starts Chromium with
 * a fresh profile whose default timeout is one step.
 */
export async function startReactDemo(options: Pick<DemoServerOptions, 'scenario' | 'simulatorTiming'>): Promise<ReactDemo> {
  assertChromium(); // before spending time on the build
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'aicc-react-build-'));
  const gatewayLog: GatewayLogEntry[] = [];
  let demo: DemoServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await demo?.close();
    rmSync(outDir, { recursive: true, force: true });
  };
  try {
    demo = await startDemoServer({
      app: 'react',
      mode: 'build',
      outDir,
      ...options,
      log: () => {},
      onGatewayLog: (entry) => gatewayLog.push(entry),
    });
    browser = await launchChromium();
    browser.context.setDefaultTimeout(STEP_MS);
    return { demo, browser, gatewayLog, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Waits until the chat shows this phase (`data-phase` of the status line). */
export const phase = (page: Page, name: string) => page.locator(`[data-testid="chat-status"][data-phase="${name}"]`).waitFor();

/** Waits until the live statechart shows this state as active. */
export const activeState = (page: Page, id: string) => page.locator(`[data-state="${id}"][data-active="true"]`).waitFor();
