/**
 * One customer, several tabs (issue #12), in real headless Chromium: one browser context, three
 * tabs of the React example (examples/react, production build, served on 127.0.0.1 so the page
 * has Web Locks) for the same customer, behind the gateway, against the simulator.
 *
 *   tab A ─┐ navigator.locks: one leader runs the session (the only poll loop)
 *   tab B ─┼─ BroadcastChannel: the leader's snapshot to every tab, the followers' events to it
 *   tab C ─┘
 *
 * Chat from each tab; the agent (scripted: sim.agent.say) writes; close the leader mid-chat (a
 * follower takes over from the last snapshot); reload a follower; end in one tab, rate in
 * another. Every tab must show what the server delivered, each message once, in order; the
 * simulator must record no violation (no second CONNECT, no overlapping polls); its request log
 * must show at most one poll in flight for the user at any time, and one CONNECT.
 *
 * The "before" case: two tabs whose pages have no Web Locks, no BroadcastChannel and no
 * localStorage, so each runs its own session (what two `createChatSession` tabs did).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../../examples/shared/demoServer.js';
import type { RecordedRequest } from '../../src/simulator/index.js';
import { openPage, type Browser, type WatchedPage } from './chromium.js';
import { phase, startReactDemo, type ReactDemo } from './helpers.js';
import { eventually, HEAVY_TEST_TIMEOUT_MS } from '../support/timeBudget.js';

interface Tab extends WatchedPage {
  name: string;
}

/** A transcript entry as a tab shows it. */
interface Shown {
  key: string;
  from: string;
  text: string;
  failed: boolean;
}

type Party = 'customer' | 'agent' | 'system' | 'robot';
type ByParty = Partial<Record<Party | string, string[]>>;

const replyTo = (text: string) => `Thanks, I have received your message: "${text}".`;

/**
 * The most polls of one user in flight together, from the simulator's `[at, endedAt)` record.
 * A poll that arrives while another waits makes the simulator answer the older one at once (and
 * record `concurrent-poll`), so that overlap is checked through the violations.
 */
function maxInFlight(polls: readonly RecordedRequest[]): number {
  const edges = polls
    .flatMap((p): Array<[number, number]> => [
      [p.at, 1],
      [p.endedAt ?? Number.POSITIVE_INFINITY, -1],
    ])
    // An end before a start at the same millisecond: the next poll leaves after the answer.
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let max = 0;
  for (const [, step] of edges) {
    open += step;
    max = Math.max(max, open);
  }
  return max;
}

function byParty(entries: ReadonlyArray<{ from: string; text: string }>): ByParty {
  const out: ByParty = {};
  for (const { from, text } of entries) (out[from] ??= []).push(text);
  return out;
}

describe('one customer, several tabs (React example, headless Chromium)', () => {
  let rig: ReactDemo;
  let demo: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    rig = await startReactDemo({
      scenario: 'agent-direct',
      // Fast parties, and a queue that only moves when the test says so.
      simulatorTiming: { longPollWindowMs: 1000, agentReplyDelayMs: 20, queueAdvanceMs: 0 },
    });
    ({ demo, browser } = rig);
  }, HEAVY_TEST_TIMEOUT_MS);

  afterAll(() => rig?.close());

  const open = async (name: string, userId: string, prepare?: (page: Page) => Promise<unknown>): Promise<Tab> => ({
    name,
    ...(await openPage(browser.context, `${demo.url}?user=${userId}`, prepare)),
  });
  const role = (tab: Tab, name: string, locks = 'web-locks') =>
    tab.page.locator(`[data-testid="tab-role"][data-role="${name}"][data-locks="${locks}"]`).waitFor();
  const roleOf = (tab: Tab) => tab.page.getByTestId('tab-role').getAttribute('data-role');
  const say = async (tab: Tab, text: string) => {
    await tab.page.getByLabel('Message', { exact: true }).fill(text);
    await tab.page.keyboard.press('Enter');
  };
  const showsAgent = (tabs: Tab[], text: string) =>
    Promise.all(tabs.map((t) => t.page.getByTestId('msg-agent').getByText(text, { exact: true }).waitFor()));
  const shown = (tab: Tab): Promise<Shown[]> =>
    tab.page.locator('.transcript li[data-key]').evaluateAll((items) =>
      items.map((li) => ({
        key: li.getAttribute('data-key') ?? '',
        from: (li.getAttribute('data-testid') ?? '').replace(/^msg-/, ''),
        text: (li.querySelector('.msg-text') ?? li).textContent ?? '',
        failed: li.classList.contains('status-failed'),
      })),
    );
  /** The CHAT messages of the user's session the server has: every customer one, every incoming one a poll took. */
  const delivered = (userId: string) =>
    (demo.sim.session(userId)?.transcript ?? [])
      .filter((m) => m.controlType === 'CHAT' && (m.direction === 'uplink' || m.pending !== true))
      .map((m) => ({ from: m.direction === 'uplink' ? 'customer' : m.sourceType.toLowerCase(), text: m.content ?? '' }));
  const connects = (userId: string) =>
    demo.sim.requestsFor('send', userId).filter((r) => (r.body as { controlType?: string }).controlType === 'CONNECT').length;
  const violations = (userId: string) => demo.sim.violations.filter((v) => v.userId === userId);

  /**
   * Every tab shows what the server delivered: each party's messages once and in the server's
   * order, and all tabs the same entries in the same order.
   */
  const expectSameTranscripts = (userId: string, tabs: Tab[]) =>
    eventually(
      async () => {
        const server = byParty(delivered(userId));
        const views = await Promise.all(tabs.map(shown));
        views.forEach((view, i) => expect(byParty(view), `tab ${tabs[i]!.name}`).toEqual(server));
        for (const view of views.slice(1)) expect(view.map((e) => e.key)).toEqual(views[0]!.map((e) => e.key));
        for (const view of views) expect(view.filter((e) => e.failed)).toEqual([]);
        return views[0]!;
      },
      { what: 'every tab to show what the server delivered' },
    );

  it(
    'three tabs share one session: chat from each, the leader closes mid-chat, a follower reloads, end in one and rate in another',
    async () => {
      const userId = 'tabs-shared';
      const a = await open('A', userId);
      await role(a, 'leader');
      await phase(a.page, 'queuing');
      const b = await open('B', userId);
      const c = await open('C', userId);
      const tabs = [a, b, c];
      await Promise.all([role(b, 'follower'), role(c, 'follower')]);
      // Same queue position everywhere (the followers mirror the leader's snapshot).
      await Promise.all(tabs.map((t) => t.page.getByTestId('queue').getByText('You are number 2 in the queue').waitFor()));

      demo.sim.queue.serve(userId);
      await Promise.all(tabs.map((t) => phase(t.page, 'chatting-agent')));
      await showsAgent(tabs, 'Hello, this is Alice. How can I help you today?');

      // Chat from each tab: a follower's message goes to the leader, which sends it; the agent's
      // reply reaches every tab.
      for (const tab of tabs) {
        const text = `from ${tab.name}, first`;
        await say(tab, text);
        await showsAgent(tabs, replyTo(text));
      }
      // The agent writes three in a row.
      for (const n of [1, 2, 3]) demo.sim.agent.say(userId, `Agent note ${n}`);
      await showsAgent(tabs, 'Agent note 3');
      const beforeClose = await expectSameTranscripts(userId, tabs);

      // The leader goes away mid-chat. While the hand-over runs, the agent writes and a follower
      // sends: neither may be lost nor doubled.
      const closedAt = Date.now();
      await a.page.close();
      demo.sim.agent.say(userId, 'Written while the leading tab was closing');
      await say(b, 'from B, during the hand-over');
      const survivors = [b, c];
      const leader = await eventually(
        async () => {
          const roles = await Promise.all(survivors.map(roleOf));
          return roles.includes('leader') ? survivors[roles.indexOf('leader')]! : false;
        },
        { what: 'a follower to take over' },
      );
      const follower = survivors.find((t) => t !== leader)!;
      await role(follower, 'follower');
      await showsAgent(survivors, 'Written while the leading tab was closing');
      await showsAgent(survivors, replyTo('from B, during the hand-over'));

      // The new leader keeps chatting, and so does the other tab.
      for (const tab of [leader, follower]) {
        const text = `from ${tab.name}, after the hand-over`;
        await say(tab, text);
        await showsAgent(survivors, replyTo(text));
      }

      // A follower reloads: it shows the conversation again (no second CONNECT) and chats on.
      await follower.page.reload();
      await role(follower, 'follower');
      await phase(follower.page, 'chatting-agent');
      await say(follower, `from ${follower.name}, after its reload`);
      await showsAgent(survivors, replyTo(`from ${follower.name}, after its reload`));
      demo.sim.agent.say(userId, 'Agent note 4');
      await showsAgent(survivors, 'Agent note 4');
      const beforeEnd = await expectSameTranscripts(userId, survivors);

      // End in the follower; every tab shows the survey; rate in the leader; every tab shows the end.
      await follower.page.getByRole('region', { name: 'Chat' }).getByRole('button', { name: 'End chat' }).click();
      await Promise.all(survivors.map((t) => phase(t.page, 'survey-agent')));
      await leader.page.getByRole('radio', { name: /^5/ }).click();
      await leader.page.getByLabel('How likely are you to recommend us?').selectOption('10');
      await leader.page.getByLabel('Yes').check();
      await leader.page.getByLabel('Comment (optional)').fill('Three tabs, one chat');
      await leader.page.getByRole('button', { name: 'Send rating' }).click();
      await Promise.all(
        survivors.map(async (t) => {
          await t.page.locator('[data-testid="ended"][data-end-reason="customer-ended"]').waitFor();
          await t.page.getByText('Thank you for your feedback!').waitFor();
        }),
      );
      const final = await expectSameTranscripts(userId, survivors);

      // The server's view: one conversation, rated once, ended by the customer.
      const session = demo.sim.session(userId)!;
      expect(session.satisfaction).toMatchObject({ evaluation: '5', comment: 'Three tabs, one chat', npsScore: '10', fcrValue: '1' });
      expect(session.endReason).toBe('customer-disconnect');
      expect(violations(userId)).toEqual([]);
      expect(connects(userId)).toBe(1);
      // Every poll has ended (the session is over), and never were two in flight together.
      const polls = await eventually(
        () => {
          const all = demo.sim.requestsFor('poll', userId);
          return all.every((p) => p.endedAt !== undefined) && all;
        },
        { what: 'every poll of the user to end' },
      );
      expect(maxInFlight(polls)).toBe(1);
      const incoming = session.transcript.filter((m) => m.direction === 'downlink' && m.controlType === 'CHAT');
      // What the tabs showed before the hand-over and before the end is all still there, in order.
      const finalKeys = final.map((e) => e.key);
      expect(finalKeys.filter((k) => beforeClose.some((e) => e.key === k))).toEqual(beforeClose.map((e) => e.key));
      expect(finalKeys.slice(0, beforeEnd.length)).toEqual(beforeEnd.map((e) => e.key));
      // Only the tab that leads talks to the service: the one that stayed a follower (through
      // its reload) made no API request at all, not one poll.
      const apiRequests = (tab: Tab) => tab.requests.filter((url) => url.includes('/aicc/'));
      const pollRequests = (tab: Tab) => tab.requests.filter((url) => url.includes('/ccmessaging/poll')).length;
      expect(apiRequests(follower)).toEqual([]);
      expect(pollRequests(a)).toBeGreaterThan(0);
      expect(pollRequests(leader)).toBeGreaterThan(0);
      for (const tab of tabs) expect(tab.problems, `tab ${tab.name}`).toEqual([]);
      expect(rig.gatewayLog.filter((e) => e.level === 'error')).toEqual([]);

      const before = polls.filter((p) => p.at < closedAt);
      const after = polls.filter((p) => p.at >= closedAt);
      const figures = {
        messages: final.length,
        polls: polls.length,
        maxPollsInFlight: maxInFlight(polls),
        connects: connects(userId),
        violations: violations(userId).length,
        // Handed to a poll whose answer never arrived (the closing tab's): the new leader's catch-up found them.
        recoveredFromHistory: incoming.filter((m) => m.deliveries === 0).length,
        pollRequestsPerTab: Object.fromEntries(tabs.map((t) => [t.name, pollRequests(t)])),
        handOverPollGapMs: after.length > 0 && before.length > 0 ? after[0]!.at - Math.max(...before.map((p) => p.endedAt ?? 0)) : null,
      };
      console.log(`tabs: ${JSON.stringify(figures)}`);
      for (const tab of survivors) await tab.page.close();
    },
    HEAVY_TEST_TIMEOUT_MS,
  );

  it(
    'before: two tabs that cannot see each other each run a session, and the conversation is split between them',
    async () => {
      const userId = 'tabs-split';
      // No Web Locks, no BroadcastChannel, no localStorage: nothing to share a session through,
      // so each tab runs its own (as two plain `createChatSession` tabs did).
      const alone = (page: Page) =>
        page.addInitScript(() => {
          delete (Navigator.prototype as { locks?: unknown }).locks;
          delete (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
          Object.defineProperty(window, 'localStorage', {
            configurable: true,
            get() {
              throw new DOMException('blocked by the test', 'SecurityError');
            },
          });
        });
      const a = await open('A', userId, alone);
      await role(a, 'leader', 'process');
      await phase(a.page, 'queuing');
      const b = await open('B', userId, alone);
      await role(b, 'leader', 'process');
      const tabs = [a, b];
      await eventually(() => connects(userId) === 2, { what: 'the second tab to CONNECT' });

      demo.sim.queue.serve(userId);
      await eventually(() => demo.sim.session(userId)?.state === 'agent', { what: 'the agent to pick up' });
      // The agent writes six, one at a time: each is handed to whichever poll is open then.
      const notes = [1, 2, 3, 4, 5, 6].map((n) => `Split note ${n}`);
      for (const note of notes) {
        demo.sim.agent.say(userId, note);
        await eventually(() => demo.sim.session(userId)?.transcript.some((m) => m.content === note && m.pending !== true), {
          what: `a poll to take "${note}"`,
        });
      }
      // Until every note shows in some tab (a note is handed to one poll only).
      const counts = await eventually(
        async () => {
          const views = await Promise.all(tabs.map(shown));
          const seen = views.map((view) => notes.filter((note) => view.some((e) => e.from === 'agent' && e.text === note)).length);
          const union = notes.filter((note) => views.some((view) => view.some((e) => e.text === note)));
          return union.length === notes.length && seen;
        },
        { what: 'every note to show in some tab' },
      );
      const figures = {
        notesPerTab: counts.map((n) => `${n}/${notes.length}`),
        connects: connects(userId),
        violations: violations(userId).length,
        rules: [...new Set(violations(userId).map((v) => v.rule))],
        pollRequestsPerTab: tabs.map((t) => t.requests.filter((url) => url.includes('/ccmessaging/poll')).length),
        maxPollsInFlight: maxInFlight(demo.sim.requestsFor('poll', userId)),
      };
      console.log(`tabs (before): ${JSON.stringify(figures)}`);
      expect(counts.some((n) => n < notes.length)).toBe(true);
      expect(figures.connects).toBe(2);
      expect(figures.rules).toContain('duplicate-connect');
      // Both tabs long-poll for the user (their polls do not overlap at the server only because
      // Chromium's HTTP cache lets one GET of a URL through at a time: the tabs take turns).
      expect(figures.pollRequestsPerTab.every((n) => n > 0)).toBe(true);
      for (const tab of tabs) await tab.page.close();
    },
    HEAVY_TEST_TIMEOUT_MS,
  );
});
