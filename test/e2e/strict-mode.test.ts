/**
 * The React example with <StrictMode> on, served by Vite's dev middleware (React's development
 * build, where StrictMode mounts, unmounts and mounts again), in headless Chromium against the
 * simulator. The chat hook of aicc-chat-machine/react must leave exactly one running session:
 * the chat works, the simulator records one CONNECT for the customer, no protocol violation,
 * and never two polls of the customer in flight at once.
 */
import type { RecordedRequest, Simulator } from '../../src/simulator/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoServer, type DemoServer } from '../../examples/shared/demoServer.js';
import { assertChromium, launchChromium, openPage, type Browser } from './chromium.js';
import { phase, STEP_MS } from './helpers.js';
import { makePng } from '../../examples/shared/png.js';
import { HEAVY_TEST_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../support/timeBudget.js';

/** One CONNECT for the user, no violation, never two of its polls in flight at once. */
function expectOneSession(sim: Simulator, userId: string): void {
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
      // Let a few more polls happen before counting.
      await page.waitForTimeout(1500);

      expectOneSession(sim, userId);
      expect(problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the smallest app (createChatSession through the hook, no tabs): queue, a file, the survey; one CONNECT, never two polls in flight',
    async () => {
      const sim = demo!.sim;
      const userId = 'strict-2';
      const { page, problems } = await openPage(browser!.context, `${demo!.url}strict.html?user=${userId}`);
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
      await expect.poll(() => sim.session(userId)?.transcript.some((m) => m.direction === 'uplink' && m.mediaType === 'IMAGE')).toBe(true);
      await page.waitForTimeout(1500);
      expectOneSession(sim, userId);
      await page.getByRole('button', { name: 'End chat' }).click();
      await phase(page, 'survey-agent');
      await page.getByRole('button', { name: 'Very satisfied', exact: true }).click();
      await phase(page, 'ended');
      expect(sim.session(userId)?.satisfaction).toMatchObject({ evaluation: '5' });
      expect(sim.violations).toEqual([]);
      expect(problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the same customer twice on one page (one client): one runs, the other shows ChatSessionConflictError, nothing uncaught',
    async () => {
      const sim = demo!.sim;
      const userId = 'strict-3';
      const { page, problems } = await openPage(browser!.context, `${demo!.url}strict.html?user=${userId}&twice`);
      const first = page.getByTestId('chat-1');
      await first.locator('[data-testid="chat-status"][data-phase="chatting-robot"]').waitFor();
      await first.getByTestId('msg-robot').first().getByText('virtual assistant').waitFor();
      // Both hooks started in the same microtask batch: the second one's start has thrown by
      // now. It is in the hook's result, typed, not an uncaught error.
      expect(problems).toEqual([]);
      await page.locator('[data-testid="chat-2-error"][data-code="session-already-live"]').getByText(`User "${userId}" already has a live chat session`).waitFor();
      await first.getByLabel('Message', { exact: true }).fill('still one session');
      await page.keyboard.press('Enter');
      await first.getByTestId('msg-robot').getByText('You said: "still one session"', { exact: false }).waitFor();
      // A few polls after the reply: a second running session would have polled (and CONNECTed) by now.
      await expect.poll(() => sim.requestsFor('poll', userId).length, { timeout: STEP_MS }).toBeGreaterThan(3);
      expectOneSession(sim, userId);
      expect(problems).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
