/**
 * The store as one gateway instance uses it. Without a shared store: this process's own
 * (memoryGatewayStore). With one (Redis): every call goes there, bounded by `timeoutMs`; when a
 * call fails or times out, the instance logs it once and uses its own store for `retryMs`, then
 * tries the shared one again with one call (the others keep using its own store meanwhile), and
 * logs when it answers again.
 *
 * The direction is deliberate (docs/security.md, "When Redis is down"): nothing is refused
 * because the shared store is down, and no limit is dropped — each instance enforces every limit
 * on its own, as if it ran alone. What is lost meanwhile is only the fleet-wide view: rate limits
 * count per instance, and a customer whose requests alternate between instances can have one
 * open poll on each.
 */
import { memoryGatewayStore, withTimeout } from './store.js';
import type { EndPollOutcome, GatewayLogLevel, GatewayStore, PollLease } from './types.js';

export type FleetClaim =
  | { claimed: false }
  | {
      claimed: true;
      /** The user's poll this one replaces, held by this or another instance. */
      replaced: PollLease | null;
      /** Asks the holder of `replaced` to end it; resolves when it has (or cannot be reached). */
      endReplaced(timeoutMs: number): Promise<EndPollOutcome>;
      release(): Promise<void>;
    };

export interface Fleet {
  hit(key: string, windowMs: number): Promise<number>;
  claimPoll(lease: PollLease, limits: { maxPerAddress: number; ttlMs: number }): Promise<FleetClaim>;
  /** Registers this instance's handler for "end this poll" in the shared store and its own. */
  listen(instance: string, onEnd: (leaseId: string) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_STORE_TIMEOUT_MS = 1000;
export const DEFAULT_STORE_RETRY_MS = 1000;

export interface FleetOptions {
  store: GatewayStore | undefined;
  now: () => number;
  timeoutMs: number;
  retryMs: number;
  log: (level: GatewayLogLevel, msg: string) => void;
}

const TIMED_OUT = Symbol('timed out');

export function createFleet(options: FleetOptions): Fleet {
  const localStore = memoryGatewayStore(options.now);
  const shared = options.store;
  const unlisten: Array<() => Promise<void>> = [];
  /** performance.now() until which the shared store is not asked (0: it is healthy). */
  let downUntil = 0;
  let down = false;
  /** While down, one call at a time asks the shared store again (a probe); the others do not wait for it. */
  let probing = false;

  /** `call` on the shared store, or `fallback` on this process's own when it fails, times out or failed just before. */
  async function either<T>(what: string, call: (store: GatewayStore) => Promise<T>, fallback: (store: GatewayStore) => Promise<T>): Promise<T> {
    if (!shared) return fallback(localStore);
    if (down && (probing || performance.now() < downUntil)) return fallback(localStore);
    // A silent store holds each call that asks it for timeoutMs: after a failure, only the probe does.
    const probe = down;
    if (probe) probing = true;
    try {
      const value = await withTimeout<T | typeof TIMED_OUT>(call(shared), options.timeoutMs, TIMED_OUT);
      if (value === TIMED_OUT) throw new Error('timed out');
      if (down) {
        down = false;
        options.log('info', 'shared store answers again: rate limits, the one-poll rule and the address caps hold across instances again');
      }
      return value;
    } catch {
      if (!down) {
        // Fixed text only: a store error may hold its URL, password included.
        options.log('error', `shared store failed (${what}): rate limits, the one-poll rule and the address caps now count on this instance only`);
      }
      down = true;
      downUntil = performance.now() + options.retryMs;
      return fallback(localStore);
    } finally {
      if (probe) probing = false;
    }
  }

  function claimed(store: GatewayStore, lease: PollLease, replaced: PollLease | null): FleetClaim {
    return {
      claimed: true,
      replaced,
      endReplaced: async (timeoutMs) => {
        if (!replaced) return 'gone';
        try {
          // Bounded here too: a store that never answers must not hold the newer poll.
          return await withTimeout(store.endPoll(replaced, timeoutMs), timeoutMs + options.timeoutMs, 'timeout');
        } catch {
          options.log('warn', 'shared store failed (endPoll): the replaced poll is left to end on its own');
          return 'gone';
        }
      },
      release: async () => {
        try {
          await store.releasePoll(lease);
        } catch {
          // Forgotten by its ttl: the store holds it no longer than a poll can last.
        }
      },
    };
  }

  return {
    hit: (key, windowMs) => either('hit', (s) => s.hit(key, windowMs), (s) => s.hit(key, windowMs)),

    async claimPoll(lease, limits) {
      const claim = (store: GatewayStore) => store.claimPoll(lease, limits).then((c): FleetClaim => (c.claimed ? claimed(store, lease, c.replaced) : c));
      return either('claimPoll', claim, claim);
    },

    async listen(instance, onEnd) {
      unlisten.push(await localStore.listen(instance, onEnd));
      if (!shared) return;
      // Not awaited past storeTimeoutMs: polls must not wait for it (a store keeps the
      // registration and subscribes when it can).
      const registered = shared.listen(instance, onEnd).then(
        (stop) => void unlisten.push(stop),
        () => options.log('error', 'shared store failed (listen): polls on this instance cannot be replaced from other instances'),
      );
      await withTimeout(registered, options.timeoutMs, undefined);
    },

    async close() {
      await Promise.allSettled(unlisten.splice(0).map((f) => f()));
    },
  };
}
