/**
 * Where Web Locks or BroadcastChannel are missing: a localStorage lease instead of the lock, a
 * tab alone (`solo`) with the others on `standby` when there is no channel, and the process's
 * own locks and channel in Node. Still one CONNECT and never two polls for one user.
 */
import { describe, expect, it } from 'vitest';
import { createStorageLeaseLocks, leaseKey, type LeaseLock, type LeaseStore, type TabSessionOptions } from '../../src/tabs/index.js';
import { duplicateKeys } from '../integration/harness.js';
import { eventually, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';
import { chatting, chatsReceived, connects, incomingTexts, replyTo, until, untilRole, violations, tabsTestBed, type Browser } from './helpers.js';

/** localStorage of one origin, shared by the tabs of a test. */
function fakeLocalStorage(): LeaseStore & { map: Map<string, string>; removed: string[] } {
  const map = new Map<string, string>();
  const removed: string[] = [];
  return {
    map,
    removed,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, String(value)),
    removeItem: (key) => {
      if (map.delete(key)) removed.push(key);
    },
  };
}

/**
 * Quick to retry and renew; a lease that outlasts any test, so that no holder loses it to a
 * timer delayed on a loaded machine (the weakness of a lease, docs/guides/tabs.md): take-overs
 * here come from a release, or from a claim written to expire.
 */
const FAST_LEASE = { retryMs: 10, settleMs: 5, renewMs: 40, leaseMs: OUTLASTS_ANY_TEST_MS } as const;

const bed = tabsTestBed();
const newBrowser = (): Browser => bed.newBrowser();

describe('no BroadcastChannel, no Web Locks: one tab runs the session, the others stand by', () => {
  it('solo + standby over a localStorage lease; the standby shows the stored conversation, refuses events, takes over from storage', async () => {
    const b = newBrowser();
    const store = fakeLocalStorage();
    const options: Partial<TabSessionOptions> = { channel: null, lease: { ...FAST_LEASE, store }, storage: b.storage, standbyRefreshMs: 10 };
    const a = b.open('A', options, true);
    expect(a.session.transport).toEqual({ locks: 'storage-lease', channel: 'none' });
    await untilRole(a, 'solo');
    const s = b.open('B', options, true);
    expect(s.session.role).toBe('standby');
    await until(a, chatting);
    expect(await a.session.send({ type: 'message.send', text: 'from the solo tab' })).toEqual({ status: 'delivered', by: 'this-tab' });
    // The standby reads the conversation from storage.
    await until(s, (snapshot) => incomingTexts(snapshot, 'AGENT').includes(replyTo('from the solo tab')));
    const refused = await s.session.send({ type: 'message.send', text: 'from the standby' });
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'standby' } });
    expect(s.rig.tokenRequests).toEqual([]);

    a.session.stop();
    // Released, not left to expire.
    await eventually(() => store.removed.includes(leaseKey(`aicc-chat-machine:tabs:${b.key}`)), { what: 'the lease to be removed' });
    b.sim.agent.say(b.userId, 'said while nobody ran the session');
    await untilRole(s, 'solo');
    await s.session.send({ type: 'message.send', text: 'after the take-over' });
    const after = await until(s, (snapshot) => incomingTexts(snapshot, 'AGENT').includes(replyTo('after the take-over')));
    expect(incomingTexts(after, 'AGENT').filter((t) => t === 'said while nobody ran the session')).toHaveLength(1);
    expect(duplicateKeys(after)).toEqual([]);
    expect(chatsReceived(b.sim, b.userId)).toEqual(['from the solo tab', 'after the take-over']);
    expect(connects(b.sim, b.userId)).toBe(1);
    expect(violations(b.sim, b.userId)).toEqual([]);
    expect(b.errors()).toEqual([]);
  });

  it('a holder that finds its lease taken stops at once, stands by, and takes over again when it frees', async () => {
    const b = newBrowser();
    const store = fakeLocalStorage();
    const options: Partial<TabSessionOptions> = { channel: null, lease: { ...FAST_LEASE, store }, storage: b.storage, standbyRefreshMs: 10 };
    const a = b.open('A', options, true);
    // The role of the tab at each poll its session starts.
    const pollsByRole: string[] = [];
    const poll = a.rig.client.poll.bind(a.rig.client);
    a.rig.client.poll = (...args) => {
      pollsByRole.push(a.session.role);
      return poll(...args);
    };
    await until(a, chatting);
    const roles: string[] = [];
    a.session.subscribe(() => {
      if (roles.at(-1) !== a.session.role) roles.push(a.session.role);
    });
    // Another tab wrote its claim over A's (A's renewal came too late, say).
    const key = leaseKey(`aicc-chat-machine:tabs:${b.key}`);
    store.setItem(key, JSON.stringify({ owner: 'someone-else', expiresAt: Date.now() + 200 }));
    await untilRole(a, 'standby');
    // The other tab never renews: its lease expires and A takes the session back from storage.
    await untilRole(a, 'solo');
    await a.session.send({ type: 'message.send', text: 'back' });
    await until(a, (snapshot) => incomingTexts(snapshot, 'AGENT').includes(replyTo('back')));
    expect(roles).toEqual(['standby', 'solo']);
    // Not one poll started while it stood by.
    expect(pollsByRole.length).toBeGreaterThan(1);
    expect(pollsByRole.filter((role) => role !== 'solo')).toEqual([]);
    expect(connects(b.sim, b.userId)).toBe(1);
    expect(violations(b.sim, b.userId)).toEqual([]);
  });
});

describe('no Web Locks, but a channel: leader and followers over the lease', () => {
  it('shares one session', async () => {
    const b = newBrowser();
    const store = fakeLocalStorage();
    const env = b.env.tab();
    const options: Partial<TabSessionOptions> = { channel: env.channel, lease: { ...FAST_LEASE, store } };
    const a = b.open('A', options, true);
    expect(a.session.transport).toEqual({ locks: 'storage-lease', channel: 'custom' });
    await untilRole(a, 'leader');
    const f = b.open('B', options, true);
    await until(f, chatting);
    expect(await f.session.send({ type: 'message.send', text: 'via the lease leader' })).toEqual({ status: 'delivered', by: 'leader' });
    await until(f, (snapshot) => incomingTexts(snapshot, 'AGENT').includes(replyTo('via the lease leader')));
    a.session.stop();
    await untilRole(f, 'leader');
    await f.session.send({ type: 'message.send', text: 'after' });
    await until(f, (snapshot) => incomingTexts(snapshot, 'AGENT').includes(replyTo('after')));
    expect(chatsReceived(b.sim, b.userId)).toEqual(['via the lease leader', 'after']);
    expect(connects(b.sim, b.userId)).toBe(1);
    expect(violations(b.sim, b.userId)).toEqual([]);
  });
});

describe('Node: one process owns a user', () => {
  it('two sessions for the same key in one process share one session (the process’s own locks and channel)', async () => {
    const b = newBrowser();
    const a = b.open('A', {}, true);
    expect(a.session.transport).toEqual({ locks: 'process', channel: 'process' });
    await untilRole(a, 'leader');
    const f = b.open('B', {}, true);
    await until(f, chatting);
    await f.session.send({ type: 'message.send', text: 'one process' });
    await until(a, (snapshot) => incomingTexts(snapshot, 'AGENT').includes(replyTo('one process')));
    expect(f.session.role).toBe('follower');
    expect(connects(b.sim, b.userId)).toBe(1);
    expect(violations(b.sim, b.userId)).toEqual([]);
  });
});

describe('createStorageLeaseLocks', () => {
  it('grants one holder at a time, in turn, and tells a holder whose lease was taken', async () => {
    const store = fakeLocalStorage();
    const locks = [createStorageLeaseLocks({ store, ...FAST_LEASE }), createStorageLeaseLocks({ store, ...FAST_LEASE })];
    const log: string[] = [];
    let releaseFirst: (() => void) | undefined;
    let lost: AbortSignal | undefined;
    const first = locks[0]!.request('x', {}, (lock) => {
      log.push('first');
      lost = (lock as LeaseLock).lost;
      return new Promise<void>((resolve) => (releaseFirst = resolve));
    });
    await eventually(() => releaseFirst !== undefined);
    const second = locks[1]!.request('x', {}, async () => void log.push('second'));
    const aborted = new AbortController();
    const third = locks[1]!.request('x', { signal: aborted.signal }, async () => void log.push('third'));
    aborted.abort();
    await expect(third).rejects.toMatchObject({ name: 'AbortError' });
    expect(log).toEqual(['first']);
    releaseFirst?.();
    await first;
    await second;
    expect(log).toEqual(['first', 'second']);
    expect(store.map.size).toBe(0);

    let held: LeaseLock | undefined;
    void locks[0]!.request('y', {}, (lock) => {
      held = lock as LeaseLock;
      return new Promise(() => undefined);
    });
    await eventually(() => held !== undefined);
    store.setItem(leaseKey('y'), JSON.stringify({ owner: 'thief', expiresAt: Date.now() + 60_000 }));
    await eventually(() => held?.lost.aborted === true, { what: 'the holder to learn its lease was taken' });
    expect(lost?.aborted).toBe(false);
  });
});
