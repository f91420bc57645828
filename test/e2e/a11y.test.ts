/**
 * Accessibility of the React example's chat widget, in headless Chromium: axe-core (from the
 * npm registry, evaluated from node_modules, no CDN) finds no violation of WCAG 2.1 A/AA or of
 * its best practices in the widget at each phase (robot, queue, agent, survey, ended); the
 * queue banner and new messages are live regions; and the whole chat is done from the
 * keyboard: every control is reached with Tab and worked with Enter or Space (the file
 * button opens the file picker, the survey's levels are a radio group with arrow keys).
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../examples/shared/png.js';
import { HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';
import { axeViolations } from './axe.js';
import { openPage } from './chromium.js';
import { phase, startReactDemo, type ReactDemo } from './helpers.js';

const WIDGET = 'section.chat';

const isFocused = (locator: Locator) => locator.evaluate((element) => element === document.activeElement);

/** Presses Tab until the control has the focus; fails when a full round of the page never reaches it. */
async function tabTo(page: Page, control: Locator): Promise<void> {
  for (let presses = 0; presses < 60; presses += 1) {
    if (await isFocused(control)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${control.toString()}`);
}

/**
 * The enabled controls of the widget that Tab does not reach from the top of the page. A radio
 * group is one tab stop (its other radios are for the arrow keys): a native group counts as
 * reached when one of its radios is, an ARIA one leaves its others at tabindex -1.
 */
async function untabbableControls(page: Page): Promise<string[]> {
  const controls = await page.locator(`${WIDGET} :is(button, input, select, textarea, a[href]):not([disabled]):not([hidden]):not([type="hidden"]):not([tabindex="-1"])`).all();
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const reached = new Set<string>();
  for (let presses = 0; presses < 80; presses += 1) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      if (!element || element === document.body) return null;
      element.dataset['a11yVisit'] ??= String(Math.random());
      return element.dataset['a11yVisit'];
    });
    if (stop !== null) reached.add(stop);
  }
  const missing: string[] = [];
  for (const control of controls) {
    const reachedBy = await control.evaluate((element) => {
      const group = element instanceof HTMLInputElement && element.type === 'radio' && element.form ? Array.from(element.form.querySelectorAll<HTMLInputElement>(`input[type="radio"][name="${element.name}"]`)) : [element as HTMLElement];
      return group.map((radio) => radio.dataset['a11yVisit']).filter((stop): stop is string => stop !== undefined);
    });
    if (!reachedBy.some((stop) => reached.has(stop))) missing.push(await control.evaluate((element) => element.outerHTML.slice(0, 120)));
  }
  return missing;
}

describe('React example: accessibility of the chat widget in headless Chromium', () => {
  let rig: ReactDemo;

  beforeAll(async () => {
    rig = await startReactDemo({
      scenario: 'robot-then-agent',
      simulatorTiming: { longPollWindowMs: 1000, robotReplyDelayMs: 20, agentReplyDelayMs: 20, queueAdvanceMs: 0 },
    });
  }, HEAVY_TEST_TIMEOUT_MS);

  afterAll(() => rig?.close());

  it(
    'no axe violation at any phase, live regions for the queue and the messages, the whole chat from the keyboard',
    async () => {
      const { demo, browser } = rig;
      const userId = 'a11y-1';
      const { page, problems } = await openPage(browser.context, `${demo.url}?user=${userId}`);
      const widget = page.locator(WIDGET);

      await phase(page, 'chatting-robot');
      await widget.getByTestId('msg-robot').first().waitFor();
      expect(await axeViolations(page, WIDGET), 'chatting-robot').toEqual([]);
      expect(await untabbableControls(page)).toEqual([]);

      // New messages are announced: the transcript is a log (an implicit polite live region).
      const transcript = widget.getByRole('log', { name: 'Transcript' });
      await transcript.getByTestId('msg-robot').first().waitFor();

      // Type and send with the keyboard only.
      const message = widget.getByLabel('Message', { exact: true });
      await tabTo(page, message);
      await page.keyboard.type('Hello from the keyboard');
      await page.keyboard.press('Enter');
      await transcript.getByText('You said: "Hello from the keyboard"', { exact: false }).waitFor();

      // Ask for a human with the keyboard: the queue banner is a status region (polite) that
      // exists before the queue does, so its first words are announced too.
      const queueRegion = widget.getByRole('status', { name: 'Queue' });
      expect(await queueRegion.count()).toBe(1);
      await tabTo(page, widget.getByRole('button', { name: 'Talk to a human' }));
      await page.keyboard.press('Enter');
      await phase(page, 'queuing');
      await queueRegion.getByText('You are number 1 in the queue').waitFor();
      expect(await axeViolations(page, WIDGET), 'queuing').toEqual([]);
      expect(await untabbableControls(page)).toEqual([]);

      demo.sim.queue.serve(userId);
      await phase(page, 'chatting-agent');
      await transcript.getByText('Hello, this is Alice').waitFor();

      // The file button opens the file picker from the keyboard: Enter clicks the hidden file
      // input, which is what opens the browser's picker (the test stops the picker itself, then
      // gives the input a file, as a choice in the picker would).
      const fileInput = widget.getByTestId('file-input');
      await fileInput.evaluate((input) => {
        input.addEventListener('click', (event) => {
          event.preventDefault();
          input.dataset['pickerOpened'] = 'yes';
        });
      });
      await tabTo(page, widget.getByRole('button', { name: 'Send a file' }));
      await page.keyboard.press('Enter');
      await expect.poll(() => fileInput.getAttribute('data-picker-opened')).toBe('yes');
      await fileInput.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(makePng({ width: 40, height: 30 })) });
      await transcript.getByRole('img', { name: 'photo.png' }).waitFor();
      expect(await axeViolations(page, WIDGET), 'chatting-agent').toEqual([]);
      expect(await untabbableControls(page)).toEqual([]);

      // End, then the survey: arrow keys move within the levels, Space picks, Enter sends.
      await tabTo(page, widget.getByRole('button', { name: 'End chat' }));
      await page.keyboard.press('Enter');
      await phase(page, 'survey-agent');
      expect(await axeViolations(page, WIDGET), 'survey-agent').toEqual([]);
      expect(await untabbableControls(page)).toEqual([]);
      const levels = widget.getByRole('radiogroup', { name: 'Satisfaction' });
      await tabTo(page, levels.getByRole('radio').first());
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Space');
      const chosen = levels.getByRole('radio', { checked: true });
      expect(await chosen.count()).toBe(1);
      expect(await isFocused(chosen)).toBe(true);
      await tabTo(page, widget.getByRole('button', { name: 'Send rating' }));
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="ended"][data-end-reason="customer-ended"]').waitFor();
      expect(await axeViolations(page, WIDGET), 'ended').toEqual([]);
      expect(demo.sim.session(userId)?.satisfaction?.evaluation).toBeDefined();

      // A new chat, from the keyboard.
      await tabTo(page, widget.getByRole('button', { name: 'Start a new chat' }));
      await page.keyboard.press('Enter');
      await phase(page, 'chatting-robot');

      expect(demo.sim.violations.filter((v) => v.userId === userId)).toEqual([]);
      expect(problems).toEqual([]);
      await page.close();
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});
