/**
 * Web Locks and BroadcastChannel inside one JavaScript process: what Node uses by default (one
 * process owns a user) and what tests use to run several "tabs" side by side.
 *
 * It follows the browser semantics the coordinator relies on, including the inconvenient ones:
 * - locks are exclusive, granted in request order, asynchronously (a microtask), and held until
 *   the callback's promise settles; a waiting request can be aborted with its signal;
 * - a message is structured-cloned when posted and delivered to every other open channel of the
 *   same name (other channels of the same tab too), each delivery its own task, in posting
 *   order; a channel closed by then misses it; messages a tab posted before it went away are
 *   still delivered;
 * - `tab.crash()` is a tab the browser kills: its locks are released and its channels closed at
 *   once, without a word. A lock granted after a crash is granted (microtask) before messages
 *   the dead tab had already posted are delivered (tasks): exactly the race the hand-over
 *   barrier in the coordinator exists for.
 */
import type { TabChannel, TabChannelFactory, TabLockManager, TabMessageEvent } from './types.js';

export interface MemoryTab {
  readonly locks: TabLockManager;
  readonly channel: TabChannelFactory;
  /** The browser kills the tab: locks released, channels closed, no goodbye. */
  crash(): void;
}

export interface MemoryTabEnvironment {
  /** A new tab: its own lock manager view and channel factory over the shared state. */
  tab(): MemoryTab;
  /** Called synchronously with every posted message (already cloned), before any delivery. */
  onPost(listener: (name: string, message: unknown) => void): () => void;
  /** Names of locks held right now, with the tab number holding each (diagnostics). */
  heldLocks(): Map<string, number>;
}

interface Waiter {
  tab: number;
  name: string;
  callback: (lock: unknown) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  granted: boolean;
  dropped: boolean;
}

// Through globalThis: browser builds type-check this module without Node's types.
const immediate = (globalThis as { setImmediate?: (task: () => void) => unknown }).setImmediate;
const schedule: (task: () => void) => void =
  typeof immediate === 'function' ? (task) => void immediate(task) : (task) => void setTimeout(task, 0);

function abortError(): Error {
  return typeof DOMException === 'function' ? new DOMException('The lock request was aborted.', 'AbortError') : Object.assign(new Error('aborted'), { name: 'AbortError' });
}

function closedError(): Error {
  return typeof DOMException === 'function' ? new DOMException('The channel is closed.', 'InvalidStateError') : new Error('The channel is closed.');
}

export function createMemoryTabEnvironment(): MemoryTabEnvironment {
  const queues = new Map<string, Waiter[]>();
  const held = new Map<string, Waiter>();
  const channels = new Set<MemoryChannel>();
  const postListeners = new Set<(name: string, message: unknown) => void>();
  let tabs = 0;

  function pump(name: string): void {
    if (held.has(name)) return;
    const queue = queues.get(name);
    const next = queue?.shift();
    if (!next) return;
    held.set(name, next);
    next.granted = true;
    queueMicrotask(() => {
      if (next.dropped) return;
      let result: Promise<unknown>;
      try {
        result = Promise.resolve(next.callback({ name, mode: 'exclusive' }));
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (value) => {
          release(next);
          next.resolve(value);
        },
        (error: unknown) => {
          release(next);
          next.reject(error);
        },
      );
    });
  }

  function release(waiter: Waiter): void {
    if (held.get(waiter.name) !== waiter) return;
    held.delete(waiter.name);
    queueMicrotask(() => pump(waiter.name));
  }

  class MemoryChannel implements TabChannel {
    closed = false;
    private readonly listeners = new Set<(event: TabMessageEvent) => void>();
    constructor(
      readonly name: string,
      readonly tab: number,
    ) {
      channels.add(this);
    }
    postMessage(message: unknown): void {
      if (this.closed) throw closedError();
      const data = structuredClone(message);
      for (const listener of postListeners) listener(this.name, data);
      for (const target of channels) {
        if (target === this || target.name !== this.name || target.closed) continue;
        const copy = structuredClone(data);
        schedule(() => target.deliver(copy));
      }
    }
    addEventListener(_type: 'message', listener: (event: TabMessageEvent) => void): void {
      this.listeners.add(listener);
    }
    removeEventListener(_type: 'message', listener: (event: TabMessageEvent) => void): void {
      this.listeners.delete(listener);
    }
    close(): void {
      this.closed = true;
      channels.delete(this);
    }
    deliver(data: unknown): void {
      if (this.closed) return;
      for (const listener of [...this.listeners]) listener({ data });
    }
  }

  function tab(): MemoryTab {
    const id = ++tabs;
    const own = new Set<MemoryChannel>();
    const locks: TabLockManager = {
      request(name, options, callback) {
        return new Promise((resolve, reject) => {
          const signal = options.signal;
          if (signal?.aborted) {
            reject(abortError());
            return;
          }
          const waiter: Waiter = { tab: id, name, callback, resolve, reject, granted: false, dropped: false };
          const queue = queues.get(name) ?? [];
          queues.set(name, queue);
          queue.push(waiter);
          signal?.addEventListener('abort', () => {
            if (waiter.granted || waiter.dropped) return;
            const at = queue.indexOf(waiter);
            if (at >= 0) queue.splice(at, 1);
            reject(abortError());
          });
          pump(name);
        });
      },
    };
    return {
      locks,
      channel: (name) => {
        const channel = new MemoryChannel(name, id);
        own.add(channel);
        return channel;
      },
      crash() {
        for (const channel of own) channel.close();
        for (const [name, queue] of queues) {
          for (const waiter of queue.filter((w) => w.tab === id)) {
            waiter.dropped = true;
            queue.splice(queue.indexOf(waiter), 1);
          }
          const holder = held.get(name);
          if (holder?.tab === id) {
            holder.dropped = true;
            release(holder);
          }
        }
      },
    };
  }

  return {
    tab,
    onPost(listener) {
      postListeners.add(listener);
      return () => postListeners.delete(listener);
    },
    heldLocks() {
      return new Map([...held].map(([name, waiter]) => [name, waiter.tab]));
    },
  };
}

let processEnvironment: MemoryTab | undefined;

/** The one environment of this process (Node's default): every session in it shares it. */
export function processTab(): MemoryTab {
  processEnvironment ??= createMemoryTabEnvironment().tab();
  return processEnvironment;
}
