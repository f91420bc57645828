/**
 * The React example end to end, in a real headless Chromium (playwright-core driving the
 * system's /usr/bin/chromium; no browser download, no network):
 *
 *   Chromium ──► demo server: production build of examples/react (strict CSP)
 *                             + gateway (AK/SK here) ──► simulator (scripted by this test)
 *
 * One customer chats with the robot, asks for a human, waits in the queue, is served, reloads
 * the page (the session resumes), sends a picture, receives the agent's picture, types while the
 * browser is offline (held, sent when back), ends and rates the agent; the rating must reach the
 * simulator. Another rates the robot, a third arrives
 * after hours and leaves a message. Message text containing HTML must show as text.
 *
 * Artefact: test-results/e2e-chat.png (mid-chat, with the live statechart).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../../examples/shared/demoServer.js';
import { makePng } from '../../examples/shared/png.js';
import type { GatewayLogEntry } from '../../src/gateway/index.js';
import { resolveScenario } from '../../src/simulator/index.js';
import { openPage, type Browser } from './chromium.js';
import { uploadBarPeaks, watchUploadBars } from './uploadBars.js';
import { activeState, phase, startReactDemo, STEP_MS, type ReactDemo } from './helpers.js';
import { HEAVY_TEST_TIMEOUT_MS, TEST_TIMEOUT_MS } from '../support/timeBudget.js';

const RESULTS_DIR = path.resolve(import.meta.dirname, '../../test-results');
export const SCREENSHOT = path.join(RESULTS_DIR, 'e2e-chat.png');
const XSS = '<img src=x onerror="window.__xss=1">';
const AGENT_XSS = '<b>bold?</b> <img src=x onerror="window.__xss=2"> <script>window.__xss=3</script>';

describe('React example in headless Chromium', () => {
  let rig: ReactDemo;
  let demo: DemoServer;
  let browser: Browser;
  let gatewayLog: GatewayLogEntry[];

  beforeAll(async () => {
    rig = await startReactDemo({
      scenario: 'robot-then-agent',
      // Fast parties, and a queue that only moves when the test says so.
      simulatorTiming: { longPollWindowMs: 1000, robotReplyDelayMs: 20, agentReplyDelayMs: 20, queueAdvanceMs: 0 },
    });
    ({ demo, browser, gatewayLog } = rig);
  }, HEAVY_TEST_TIMEOUT_MS);

  afterAll(() => rig?.close());

  /** A new tab for one demo user (each test its own user: the tabs of one user share a session). */
  const open = (userId: string) => openPage(browser.context, `${demo.url}?user=${userId}`);

  it(
    'robot → suggestions → human → queue → agent → reload → pictures both ways → offline → end → agent survey',
    async () => {
      const userId = 'e2e-agent';
      const { page, problems, requests } = await open(userId);

      // The robot greets; the statechart shows the parallel chatting regions.
      await phase(page, 'chatting-robot');
      await page.getByTestId('msg-robot').first().getByText('virtual assistant').waitFor();
      await activeState(page, 'connected.chatting.outbox.idle');
      // One tab: it runs the session itself, under a Web Lock (127.0.0.1 is a secure context).
      await page.locator('[data-testid="tab-role"][data-role="leader"][data-locks="web-locks"]').waitFor();

      // Phrase suggestions (queryPhraseByKeyword through the gateway), picked and sent.
      await page.getByLabel('Message', { exact: true }).fill('opening');
      await page.getByRole('button', { name: 'What are your opening hours?' }).click();
      await expect.poll(() => page.getByLabel('Message', { exact: true }).inputValue()).toBe('What are your opening hours?');
      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await page.getByTestId('msg-robot').getByText('please see our help centre').waitFor();

      // HTML in a message is text, in the customer's bubble and in the robot's echo.
      await page.getByLabel('Message', { exact: true }).fill(XSS);
      await page.keyboard.press('Enter');
      await page.getByTestId('msg-customer').getByText(XSS, { exact: true }).waitFor();
      await page.getByTestId('msg-robot').getByText(`You said: "${XSS}"`, { exact: false }).waitFor();
      await page.getByTestId('msg-customer').getByText('sent').last().waitFor();

      // Robot → agent: TRANS2AGENT, then the queue with its position.
      await page.getByRole('button', { name: 'Talk to a human' }).click();
      await phase(page, 'queuing');
      await page.getByTestId('queue').getByText('You are number 1 in the queue').waitFor();
      await activeState(page, 'connected.queuing');
      expect(demo.sim.session(userId)?.state).toBe('queued');

      demo.sim.queue.serve(userId);
      await phase(page, 'chatting-agent');
      await page.getByTestId('chat-status').getByText('Chatting with Alice').waitFor();
      await page.getByTestId('msg-agent').getByText('Hello, this is Alice').waitFor();

      // A reload resumes the same session from localStorage: same transcript, no new CONNECT.
      const connects = () =>
        demo.sim.requestsFor('send', userId).filter((r) => (r.body as { controlType?: string }).controlType === 'CONNECT').length;
      expect(connects()).toBe(1);
      await page.reload();
      await page.getByTestId('chat-status').getByText('Chatting with Alice').waitFor();
      await page.getByTestId('msg-agent').getByText('Hello, this is Alice').waitFor();
      expect(await page.getByTestId('msg-robot').getByText('virtual assistant').count()).toBe(1);
      expect(connects()).toBe(1);

      // The customer sends a picture: uploadFileStream (its progress bar fills to 100 %, then
      // goes), then an IMAGE CHAT.
      await watchUploadBars(page);
      await page.getByTestId('file-input').setInputFiles({
        name: 'photo.png',
        mimeType: 'image/png',
        buffer: Buffer.from(makePng({ width: 120, height: 80, hue: [30, 160, 90] })),
      });
      await page.getByTestId('msg-customer').getByRole('img', { name: 'photo.png' }).waitFor();
      await expect
        .poll(() => demo.sim.session(userId)?.transcript.some((m) => m.direction === 'uplink' && m.mediaType === 'IMAGE'), { timeout: STEP_MS })
        .toBe(true);
      expect(demo.sim.requestsFor('uploadFileStream', userId)).toHaveLength(1);
      expect(await uploadBarPeaks(page)).toEqual({ 'photo.png': 100 });
      expect(await page.locator('progress[data-file]').count()).toBe(0);
      expect(await page.getByRole('region', { name: 'Chat' }).getAttribute('lang')).toBe('en-US');

      // The agent writes HTML (shown as text), reads, and sends a picture (downloaded → object URL).
      demo.sim.agent.say(userId, AGENT_XSS);
      await page.getByTestId('msg-agent').getByText(AGENT_XSS, { exact: true }).waitFor();
      demo.sim.agent.read(userId);
      await page.getByTestId('msg-customer').getByText('read').first().waitFor();
      demo.sim.agent.sendFile(userId, { bytes: makePng(), fileType: 'png' });
      const picture = page.getByTestId('incoming-image');
      await picture.waitFor();
      await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(160);
      expect(await picture.getAttribute('src')).toMatch(/^blob:/);

      // Nothing was injected: no element from a message, no handler ran.
      expect(await page.locator('.transcript img[src="x"], .transcript b, .transcript script').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();

      // Offline: the machine holds the message (bindBrowserConnectivity reports the browser's
      // offline/online events) and sends it once the browser is back.
      await browser.context.setOffline(true);
      await page.getByText('You are offline').waitFor();
      await page.getByLabel('Message', { exact: true }).fill('typed while offline');
      await page.keyboard.press('Enter');
      const held = page.getByTestId('msg-customer').filter({ hasText: 'typed while offline' });
      await held.getByText('waiting').waitFor();
      await browser.context.setOffline(false);
      await page.getByTestId('msg-agent').getByText('I have received your message: "typed while offline"').waitFor();
      expect(await held.getByText(/sent|read/).count()).toBe(1);

      await activeState(page, 'connected.chatting');
      mkdirSync(RESULTS_DIR, { recursive: true });
      await page.screenshot({ path: SCREENSHOT });

      // End, then the agent survey.
      await page.getByRole('region', { name: 'Chat' }).getByRole('button', { name: 'End chat' }).click();
      await phase(page, 'survey-agent');
      await activeState(page, 'connected.survey-agent.form');
      await page.getByRole('radio', { name: /^5/ }).click();
      await page.getByLabel('How likely are you to recommend us?').selectOption('10');
      await page.getByLabel('Yes').check();
      await page.getByLabel('Comment (optional)').fill('Quick and friendly');
      await page.getByRole('button', { name: 'Send rating' }).click();
      await page.locator('[data-testid="ended"][data-end-reason="customer-ended"]').waitFor();
      await page.getByText('Thank you for your feedback!').waitFor();
      await activeState(page, 'disconnected');

      expect(demo.sim.session(userId)?.satisfaction).toMatchObject({ evaluation: '5', comment: 'Quick and friendly', npsScore: '10', fcrValue: '1' });
      expect(demo.sim.session(userId)?.endReason).toBe('customer-disconnect');
      expect(demo.sim.violations.filter((v) => v.userId === userId)).toEqual([]);

      // Everything the page loaded came from the demo origin (or was a blob/data URL it made).
      expect(requests.filter((url) => !url.startsWith(demo.url) && !/^(blob|data):/.test(url))).toEqual([]);
      // The browser never saw a credential: the token route answered a sealed token, not AICC's.
      expect(requests.some((url) => url.includes('sim-app'))).toBe(false);
      // Only the long poll cut off by going offline may have failed.
      expect(problems.filter((p) => !p.includes('net::ERR_INTERNET_DISCONNECTED'))).toEqual([]);
      await page.close();
    },
    HEAVY_TEST_TIMEOUT_MS,
  );

  it(
    'robot only: end → robot survey (not satisfied, with a reason) reaches the simulator',
    async () => {
      const userId = 'e2e-robot';
      const { page, problems } = await open(userId);
      await phase(page, 'chatting-robot');
      await page.getByLabel('Message', { exact: true }).fill('How do I return an item?');
      await page.keyboard.press('Enter');
      await page.getByTestId('msg-robot').getByText('please see our help centre').waitFor();

      await page.getByRole('region', { name: 'Chat' }).getByRole('button', { name: 'End chat' }).click();
      await phase(page, 'survey-robot');
      await page.getByRole('radio', { name: 'No' }).click();
      const send = page.getByRole('button', { name: 'Send feedback' });
      expect(await send.isDisabled()).toBe(true); // a reason is required when not satisfied
      await page.getByLabel('What went wrong? (required)').fill('Did not answer my question');
      await send.click();
      await page.locator('[data-testid="ended"][data-end-reason="customer-ended"]').waitFor();

      expect(demo.sim.session(userId)?.feedback).toMatchObject({ feedback: 0, feedbackContent: 'Did not answer my question' });
      expect(demo.sim.violations.filter((v) => v.userId === userId)).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'after hours: CONNECT answers 12 → leave-message form → message left',
    async () => {
      const userId = 'e2e-closed';
      // The live scenario: the next CONNECT sees a closed contact centre.
      const before = { ...demo.sim.scenario };
      Object.assign(demo.sim.scenario, resolveScenario('after-hours'));
      try {
        const { page, problems } = await open(userId);
        await phase(page, 'leave-message');
        await page.getByText('We are closed right now').waitFor();
        await activeState(page, 'leave-message.form');

        // An empty form is refused by the machine (typed input error), nothing is sent.
        await page.getByRole('button', { name: 'Leave message' }).click();
        await page.getByTestId('chat-error').waitFor();
        expect(demo.sim.requestsFor('doLeaveMessage', userId)).toHaveLength(0);
        await page.getByText('We are closed right now').waitFor();

        await page.getByLabel('Phone number').fill('+1 555 0100');
        await page.getByLabel('Message', { exact: true }).fill('Please call me back about order 42.');
        await page.getByRole('button', { name: 'Leave message' }).click();
        await page.locator('[data-testid="ended"][data-end-reason="message-left"]').waitFor();

        expect(demo.sim.session(userId)?.leaveMessages).toMatchObject([{ caller: '+1 555 0100', message: 'Please call me back about order 42.' }]);
        expect(demo.sim.violations.filter((v) => v.userId === userId)).toEqual([]);
        expect(problems).toEqual([]);
        await page.close();
      } finally {
        Object.assign(demo.sim.scenario, before);
      }
    },
    TEST_TIMEOUT_MS,
  );

  it('the gateway logged no errors', () => {
    expect(gatewayLog.filter((e) => e.level === 'error')).toEqual([]);
  });
});
