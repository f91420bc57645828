/**
 * The full React example (examples/react: tabs, transcript, surveys, the live statechart) with
 * <StrictMode> on, served by Vite's dev middleware (React's development build, where StrictMode
 * mounts, unmounts and mounts again), in headless Chromium against the simulator. The chat hook
 * of aicc-chat-machine/react must leave exactly one running session: the chat works, the
 * simulator records one CONNECT for the customer, no protocol violation, and never two polls
 * of the customer in flight at once. The smallest app, on the package as installed, is
 * test/e2e/react-starter.test.ts (StrictMode too, plus the same customer twice on one page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../examples/shared/demoServer.js';
import { assertChromium, launchChromium, openPage, type Browser } from './chromium.js';
import { expectOneSession, morePollsAnswered, phase, STEP_MS } from './helpers.js';
import { HEAVY_TEST_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../support/timeBudget.js';

describe('React example under StrictMode (development build) in headless Chromium', () => {
  let demo: DemoServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    assertChromium();
    demo = await startDemoServer({
      app: 'react',
      mode: 'dev',
      scenario: 'robot-then-agent',
      simulatorTiming: { longPollWindowMs: 1000, robotReplyDelayMs: 20, agentReplyDelayMs: 20, queueAdvanceMs: 0 },
      log: () => {},
      onGatewayLog: () => {},
    });
    browser = await launchChromium();
    browser.context.setDefaultTimeout(STEP_MS);
  }, HEAVY_TEST_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it(
    'one session: chat works, one CONNECT, never two polls in flight',
    async () => {
      const sim = demo!.sim;
      const userId = 'strict-1';
      const { page, problems, requests } = await openPage(browser!.context, `${demo!.url}?user=${userId}`);
      // Served by Vite in development (React's development build: StrictMode double-mounts).
      expect(requests.some((url) => url.includes('/@vite/client'))).toBe(true);
      expect(await page.evaluate(() => document.querySelector('#root') !== null)).toBe(true);

      await phase(page, 'chatting-robot');
      await page.getByTestId('msg-robot').first().getByText('virtual assistant').waitFor();

      await page.getByLabel('Message', { exact: true }).fill('hello from strict mode');
      await page.keyboard.press('Enter');
      await page.getByTestId('msg-robot').getByText('You said: "hello from strict mode"', { exact: false }).waitFor();

      await page.getByRole('button', { name: 'Talk to a human' }).click();
      await phase(page, 'queuing');
      sim.queue.serve(userId);
      await phase(page, 'chatting-agent');
      await page.getByLabel('Message', { exact: true }).fill('to the agent');
      await page.keyboard.press('Enter');
      await expect
        .poll(() => sim.session(userId)?.transcript.some((m) => m.direction === 'uplink' && String(m.content ?? '').includes('to the agent')), { timeout: STEP_MS })
        .toBe(true);
      sim.agent.say(userId, 'Agent reply under StrictMode');
      await page.getByTestId('msg-agent').getByText('Agent reply under StrictMode').waitFor();
      // Two more poll cycles: a second session of this customer would have polled alongside.
      await morePollsAnswered(sim, userId);

      expectOneSession(sim, userId);
      expect(problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
