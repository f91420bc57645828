/**
 * The in-memory Web Locks / BroadcastChannel (src/tabs/memory.ts) behave like the browser's
 * where the coordinator depends on it, including the race the hand-over barrier exists for.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryTabEnvironment } from '../../src/tabs/index.js';
import { eventually } from '../support/timeBudget.js';

describe('memory locks', () => {
  it('one holder at a time, granted in request order, aborted requests leave the queue, a crash releases', async () => {
    const env = createMemoryTabEnvironment();
    const [a, b, c] = [env.tab(), env.tab(), env.tab()];
    const log: string[] = [];
    let releaseA: (() => void) | undefined;
    const first = a.locks.request('k', {}, () => {
      log.push('a');
      return new Promise<void>((resolve) => (releaseA = resolve));
    });
    const abort = new AbortController();
    const skipped = b.locks.request('k', { signal: abort.signal }, async () => void log.push('b'));
    let crashHolder: (() => void) | undefined;
    void c.locks.request('k', {}, () => {
      log.push('c');
      crashHolder = () => c.crash();
      return new Promise<void>(() => undefined);
    });
    const last = b.locks.request('k', {}, async () => void log.push('b2'));
    await eventually(() => releaseA !== undefined);
    abort.abort();
    await expect(skipped).rejects.toMatchObject({ name: 'AbortError' });
    releaseA?.();
    await first;
    await eventually(() => crashHolder !== undefined);
    expect(env.heldLocks()).toEqual(new Map([['k', 3]]));
    crashHolder?.();
    await last;
    expect(log).toEqual(['a', 'c', 'b2']);
    expect(env.heldLocks().size).toBe(0);
  });
});

describe('memory channels', () => {
  it('deliver clones in posting order to every other open channel of the name, not to the sender', async () => {
    const env = createMemoryTabEnvironment();
    const [a, b] = [env.tab(), env.tab()];
    const sender = a.channel('n');
    const sameTab = a.channel('n');
    const other = b.channel('n');
    const elsewhere = b.channel('other');
    const got: Record<string, unknown[]> = { sender: [], sameTab: [], other: [], elsewhere: [] };
    for (const [name, channel] of Object.entries({ sender, sameTab, other, elsewhere })) {
      channel.addEventListener('message', (event) => got[name]!.push(event.data));
    }
    const payload = { n: 1, bytes: new Uint8Array([1, 2]) };
    sender.postMessage(payload);
    payload.n = 99;
    sender.postMessage({ n: 2 });
    await eventually(() => got['other']!.length === 2 && got['sameTab']!.length === 2);
    expect(got['other']).toEqual([{ n: 1, bytes: new Uint8Array([1, 2]) }, { n: 2 }]);
    expect(got['sameTab']).toEqual(got['other']);
    expect(got['sender']).toEqual([]);
    expect(got['elsewhere']).toEqual([]);
    expect(() => sender.postMessage({ f: () => 1 })).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    sender.close();
    expect(() => sender.postMessage({})).toThrow(expect.objectContaining({ name: 'InvalidStateError' }));
  });

  it('a crashed tab’s last messages still arrive, after the lock it held has passed on (the hand-over race)', async () => {
    const env = createMemoryTabEnvironment();
    const [dying, heir] = [env.tab(), env.tab()];
    const inbox = heir.channel('n');
    const seen: unknown[] = [];
    inbox.addEventListener('message', (event) => seen.push(event.data));
    let held = false;
    void dying.locks.request('k', {}, () => {
      held = true;
      return new Promise<void>(() => undefined);
    });
    await eventually(() => held);
    let messagesAtGrant: number | undefined;
    const granted = heir.locks.request('k', {}, async () => void (messagesAtGrant = seen.length));
    dying.channel('n').postMessage('last words');
    dying.crash();
    await granted;
    expect(messagesAtGrant).toBe(0);
    await eventually(() => seen.length === 1);
    expect(seen).toEqual(['last words']);
  });
});
