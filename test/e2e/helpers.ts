/**
 * What the browser tests of the React example share: the demo server (a production build of
 * examples/react behind the gateway, against the simulator) and a headless Chromium, started
 * together and closed together; and waits on what the page shows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { startDemoServer, type DemoServerOptions, type DemoServer } from '../../examples/shared/demoServer.js';
import type { GatewayLogEntry } from '../../src/gateway/index.js';
import type { RecordedRequest, Simulator } from '../../src/simulator/index.js';
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

/** The user's polls the simulator has answered (an open poll has no `endedAt` yet). */
const answeredPolls = (sim: Simulator, userId: string): number => sim.requestsFor('poll', userId).filter((r) => r.endedAt !== undefined).length;

/**
 * Waits until the simulator has answered `count` more polls of the user. A second session of
 * the user (a StrictMode mount that was never stopped, an orphaned poll loop) polls all the
 * time, so over two whole poll cycles of the live session its polls would have overlapped and
 * its CONNECT would be on record: this is the event that ends a "nothing else happens" wait.
 */
export async function morePollsAnswered(sim: Simulator, userId: string, count = 2): Promise<void> {
  const target = answeredPolls(sim, userId) + count;
  await expect.poll(() => answeredPolls(sim, userId), { timeout: STEP_MS }).toBeGreaterThanOrEqual(target);
}

/** One CONNECT for the user, no violation, never two of its polls in flight at once. */
export function expectOneSession(sim: Simulator, userId: string): void {
  const connects = sim.requestsFor('send', userId).filter((r) => (r.body as { controlType?: string }).controlType === 'CONNECT');
  expect(connects).toHaveLength(1);
  expect(sim.violations).toEqual([]);
  const polls: RecordedRequest[] = sim.requestsFor('poll', userId);
  expect(polls.length).toBeGreaterThan(1);
  const open = Number.POSITIVE_INFINITY;
  const overlapping = polls.flatMap((a, i) =>
    polls.slice(i + 1).filter((b) => b.at < (a.endedAt ?? open) && a.at < (b.endedAt ?? open)).map((b) => [a.seq, b.seq]),
  );
  expect(overlapping).toEqual([]);
}
