/**
 * aicc-chat-machine/svelte over real HTTP against the simulator, in Node: the store runs one
 * session while it has subscribers (a passing one such as `get` creates nothing), a new one
 * after the last left, none after `destroy()`, and the errors of a start that cannot happen.
 */
import { get } from 'svelte/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatSessionConflictError, type ChatSessionActor } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { ChatSessionStartError, createChatSessionStore, type ChatSessionState, type ChatSessionStore } from '../../src/svelte/index.js';
import { fastSimulator } from '../client/helpers.js';
import { afterMicrotasks, connectsOf, countedFactory, customerOf, expectStoppedCleanly, robotSaid, type Customer } from './helpers.js';

let sim: Simulator;
beforeAll(async () => (sim = await fastSimulator({ scenario: 'robot-only' })));
afterAll(() => sim.close());

/** A subscriber that keeps what the store gave it last. */
function watch<S>(store: ChatSessionStore<S>): { latest: () => ChatSessionState<S>; unsubscribe: () => void } {
  let latest: ChatSessionState<S> | undefined;
  const unsubscribe = store.subscribe((state) => (latest = state));
  return { latest: () => latest!, unsubscribe };
}

/** A store whose sessions are counted as they are created. */
function countingStore(customer: Customer): { store: ChatSessionStore<ChatSessionActor>; created: () => number } {
  const { createSession, created } = countedFactory(customer);
  return { store: createChatSessionStore({ createSession }), created };
}

describe('aicc-chat-machine/svelte: createChatSessionStore', () => {
  it('the first subscriber starts the session a microtask later; it chats; the last one to leave stops it', async () => {
    const customer = customerOf(sim);
    const store = createChatSessionStore(customer.options);
    const a = watch(store);
    const b = watch(store);
    expect(a.latest()).toEqual({ session: undefined, snapshot: undefined, chat: undefined, error: null });

    await expect.poll(() => a.latest().chat?.phase).toBe('chatting-robot');
    const session = a.latest().session!;
    expect(b.latest().session).toBe(session);
    expect(a.latest().snapshot).toBe(session.getSnapshot());
    a.latest().chat!.sendMessage('hello from svelte');
    await expect.poll(() => robotSaid(b.latest().chat, 'You said: "hello from svelte"')).toBe(true);
    store.send({ type: 'message.send', text: 'through the store' });
    await expect.poll(() => robotSaid(a.latest().chat, 'You said: "through the store"')).toBe(true);

    a.unsubscribe();
    await afterMicrotasks();
    expect(session.getSnapshot().status).toBe('active');
    b.unsubscribe();
    expect(session.getSnapshot().status).toBe('active'); // stopped a microtask later
    await afterMicrotasks();
    expect(session.getSnapshot().status).toBe('stopped');
    expect(get(store).session).toBeUndefined();
    await expectStoppedCleanly(sim, customer.userId);
    expect(connectsOf(sim, customer.userId)).toBe(1);
  });

  it('a passing subscriber (get) creates no session; one that comes back after the last left gets a new session', async () => {
    const customer = customerOf(sim);
    const { store, created } = countingStore(customer);
    expect(get(store).session).toBeUndefined();
    await afterMicrotasks();
    expect(created()).toBe(0);
    expect(customer.tokenRequests).toEqual([]);

    const first = watch(store);
    await expect.poll(() => robotSaid(first.latest().chat)).toBe(true);
    const firstSession = first.latest().session!;
    // Ended first: a stop is not an end, and a new CONNECT while the service still has the
    // old session would be a protocol violation (a restored snapshot continues it instead).
    first.latest().chat!.end();
    await expect.poll(() => first.latest().chat?.can.skip).toBe(true);
    first.latest().chat!.skip();
    await expect.poll(() => first.latest().chat?.phase).toBe('ended');
    first.unsubscribe();
    await afterMicrotasks();

    // The next subscriber gets a new session (a new CONNECT).
    const again = watch(store);
    await expect.poll(() => again.latest().chat?.can.type).toBe(true);
    again.latest().chat!.sendMessage('once more');
    await expect.poll(() => robotSaid(again.latest().chat, 'You said: "once more"')).toBe(true);
    expect(again.latest().session).not.toBe(firstSession);
    expect(created()).toBe(2);
    expect(connectsOf(sim, customer.userId)).toBe(2);
    again.unsubscribe();
    await expectStoppedCleanly(sim, customer.userId);
  });

  it('a subscriber that takes over in the same tick (one component replacing another) keeps the running session', async () => {
    const customer = customerOf(sim);
    const { store, created } = countingStore(customer);
    const leaving = watch(store);
    await expect.poll(() => robotSaid(leaving.latest().chat)).toBe(true);
    const session = leaving.latest().session!;

    leaving.unsubscribe();
    const arriving = watch(store);
    await afterMicrotasks();
    expect(arriving.latest().session).toBe(session);
    expect(session.getSnapshot().status).toBe('active');
    arriving.latest().chat!.sendMessage('still here');
    await expect.poll(() => robotSaid(arriving.latest().chat, 'You said: "still here"')).toBe(true);
    expect(created()).toBe(1);
    expect(connectsOf(sim, customer.userId)).toBe(1);

    arriving.unsubscribe();
    await afterMicrotasks();
    expect(session.getSnapshot().status).toBe('stopped');
    await expectStoppedCleanly(sim, customer.userId);
  });

  it('destroy() stops the session and no subscriber starts another', async () => {
    const customer = customerOf(sim);
    const { store, created } = countingStore(customer);
    const subscriber = watch(store);
    await expect.poll(() => robotSaid(subscriber.latest().chat)).toBe(true);
    const session = subscriber.latest().session!;

    store.destroy();
    expect(session.getSnapshot().status).toBe('stopped');
    expect(subscriber.latest().session).toBeUndefined();
    subscriber.unsubscribe();
    const late = watch(store);
    await afterMicrotasks();
    expect(late.latest().session).toBeUndefined();
    expect(created()).toBe(1);
    late.unsubscribe();
    await expectStoppedCleanly(sim, customer.userId);
  });

  it('a second live session of the customer through the same client: its error is ChatSessionConflictError, nothing thrown, one CONNECT', async () => {
    const customer = customerOf(sim);
    const first = watch(createChatSessionStore(customer.options));
    const second = watch(createChatSessionStore(customer.options));
    await expect.poll(() => robotSaid(first.latest().chat)).toBe(true);
    await expect.poll(() => second.latest().error).not.toBeNull();
    expect(second.latest().error).toBeInstanceOf(ChatSessionConflictError);
    expect(second.latest()).toMatchObject({ session: undefined, chat: undefined, error: { code: 'session-already-live', userId: customer.userId } });
    expect(first.latest().error).toBeNull();
    expect(connectsOf(sim, customer.userId)).toBe(1);
    first.unsubscribe();
    second.unsubscribe();
    await expectStoppedCleanly(sim, customer.userId);
  });

  it('a factory that throws: its error is ChatSessionStartError with the thrown value as cause', async () => {
    const boom = new Error('storage blocked');
    const subscriber = watch(
      createChatSessionStore({
        createSession: (): ChatSessionActor => {
          throw boom;
        },
      }),
    );
    await afterMicrotasks();
    expect(subscriber.latest().error).toBeInstanceOf(ChatSessionStartError);
    expect(subscriber.latest().error).toMatchObject({ code: 'start-failed', cause: boom });
    subscriber.unsubscribe();
  });
});
