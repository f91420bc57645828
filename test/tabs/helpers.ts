/**
 * Several "tabs" of one browser in one process: each tab has its own client (as a real page
 * would), and they share an in-memory Web Locks / BroadcastChannel environment and, when asked,
 * a session store. The sessions are the real machine through createChatSession, against the
 * simulator over HTTP.
 */
import { createChatSession, createMemorySessionStorage, type ChatSessionStorage, type ChatUserEvent } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import {
  createMemoryTabEnvironment,
  createTabSession,
  type ChatSessionSnapshot,
  type MemoryTab,
  type MemoryTabEnvironment,
  type TabSession,
  type TabSessionOptions,
} from '../../src/tabs/index.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { clientFor, fastSimulator, newUserId, type ClientRig } from '../client/helpers.js';
import { incomingTexts, outgoing, stateLabel, TEST_TIMING } from '../integration/harness.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import { eventually, type EventuallyOptions } from '../support/timeBudget.js';

export interface Tab {
  name: string;
  session: TabSession;
  /** The tab's own lock/channel view (null for tabs on other transports). */
  browserTab: MemoryTab | null;
  rig: ClientRig;
  /** What the coordinator reported through onError. */
  errors: unknown[];
  /** State labels in order (consecutive repeats collapsed). */
  states: string[];
  /** The browser kills the tab: no goodbye, lock and channels dropped, the page's actor gone. */
  crash(): void;
}

export interface Browser {
  sim: Simulator;
  userId: string;
  key: string;
  env: MemoryTabEnvironment;
  storage: ChatSessionStorage;
  tabs: Tab[];
  /**
   * Opens a tab on the browser's in-memory locks and channel, or with `ownTransport` on what
   * `options` says (lease, no channel, or the defaults of this process).
   */
  open(name: string, options?: Partial<TabSessionOptions>, ownTransport?: boolean): Tab;
  /** Every tab's coordinator errors, crashed tabs left out. */
  errors(): unknown[];
  stopAll(): void;
}

export function browser(sim: Simulator, userId = newUserId()): Browser {
  const env = createMemoryTabEnvironment();
  const storage = createMemorySessionStorage();
  const key = `${sim.channelId}:${userId}`;
  const tabs: Tab[] = [];
  const crashed = new Set<Tab>();
  const b: Browser = {
    sim,
    userId,
    key,
    env,
    storage,
    tabs,
    open(name, options = {}, ownTransport = false) {
      const browserTab = ownTransport ? null : env.tab();
      const rig = clientFor(sim, {}, userId);
      const errors: unknown[] = [];
      const session = createTabSession({
        key,
        createSession: (snapshot) =>
          createChatSession({
            client: rig.client,
            identity: { userId, userName: 'Ada', channelId: sim.channelId, locale: 'en_US' },
            timing: TEST_TIMING,
            snapshot,
          }),
        ...(browserTab ? { locks: browserTab.locks, channel: browserTab.channel } : {}),
        onError: (error) => errors.push(error),
        tabId: name,
        ...options,
      });
      const states: string[] = [];
      session.subscribe((snapshot) => {
        const label = stateLabel(snapshot);
        if (states.at(-1) !== label) states.push(label);
      });
      const tab: Tab = {
        name,
        session,
        browserTab,
        rig,
        errors,
        states,
        crash() {
          crashed.add(tab);
          browserTab?.crash();
          // What is left of the page in this process: its actor must not outlive the tab.
          session.stop();
        },
      };
      tabs.push(tab);
      session.start();
      return tab;
    },
    errors() {
      return tabs.filter((t) => !crashed.has(t)).flatMap((t) => t.errors);
    },
    stopAll() {
      for (const tab of tabs) tab.session.stop();
    },
  };
  return b;
}

/** Waits (a hang detector, scaled) until the tab's snapshot satisfies `predicate`. */
export function until(tab: Tab, predicate: (snapshot: ChatSessionSnapshot) => boolean, options: EventuallyOptions = {}): Promise<ChatSessionSnapshot> {
  return eventually(
    () => {
      const snapshot = tab.session.getSnapshot();
      return predicate(snapshot) ? snapshot : false;
    },
    { what: `${tab.name}: a snapshot (now ${stateLabel(tab.session.getSnapshot())})`, ...options },
  );
}

export function untilRole(tab: Tab, role: TabSession['role']): Promise<void> {
  return eventually(() => tab.session.role === role, { what: `${tab.name} to become ${role} (is ${tab.session.role})` }).then(() => undefined);
}

export const chatting = (s: ChatSessionSnapshot) => s.matches({ connected: 'chatting' }) && s.context.servedBy === 'agent';

/** The agent's reply (scenario default) to a customer's text. */
export const replyTo = (text: string) => `Thanks, I have received your message: "${text}".`;

export function transcriptKeys(snapshot: ChatSessionSnapshot): string[] {
  return transcriptEntries(snapshot.context.transcript).map((e) => e.key);
}

export function sentTexts(snapshot: ChatSessionSnapshot): Array<[string, string]> {
  return outgoing(snapshot).map((m) => [m.text ?? '', m.status]);
}

/** CHAT texts the server received from this user, in order. */
export function chatsReceived(sim: Simulator, userId: string): string[] {
  return sim
    .requestsFor('send', userId)
    .map((r) => r.body as { controlType: string; content?: string })
    .filter((body) => body.controlType === 'CHAT')
    .map((body) => body.content ?? '');
}

export function connects(sim: Simulator, userId: string): number {
  return sim.requestsFor('send', userId).filter((r) => (r.body as { controlType: string }).controlType === 'CONNECT').length;
}

export function violations(sim: Simulator, userId: string) {
  return sim.violations.filter((v) => v.userId === userId);
}

export { incomingTexts, outgoing };

export type { ChatUserEvent };

/**
 * The suites' shared set-up: one simulator (an agent serves at once) for the file, and browsers
 * whose tabs are all stopped after each test.
 */
export function tabsTestBed(): { readonly sim: Simulator; newBrowser(): Browser } {
  let sim: Simulator | undefined;
  let open: Browser[] = [];
  beforeAll(async () => (sim = await fastSimulator({ scenario: { name: 'agent-direct', initialQueuePosition: 0 } })));
  afterAll(() => sim?.close());
  afterEach(() => {
    for (const b of open) b.stopAll();
    open = [];
  });
  return {
    get sim(): Simulator {
      if (!sim) throw new Error('tabsTestBed: the simulator starts in beforeAll');
      return sim;
    },
    newBrowser(): Browser {
      const b = browser(this.sim);
      open.push(b);
      return b;
    },
  };
}
